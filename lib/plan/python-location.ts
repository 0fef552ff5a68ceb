import { posix } from "node:path";
import { PlanError } from "./errors.js";
import { buildsWithMaturin, insideSource, type Pyproject, readPyproject } from "./pyproject.js";

/** The pyproject.toml a release builds its Python artifacts from, and how it was chosen. */
export interface PythonProjectFile {
  /** Path relative to the source root: `pyproject.toml`, `pypi/pyproject.toml`. */
  file: string;
  text: string;
  /** `root`: next to Cargo.toml; `--python-project`: the flag named it; `found`: the only one below the root. */
  origin: "root" | "--python-project" | "found";
}

/** The reader operations the search needs (see SourceReader). */
export interface PyprojectReader {
  read(path: string): Promise<string | null>;
  glob(pattern: string): Promise<string[]>;
}

/**
 * Directories whose pyproject.toml files are never the project's own: build output, tests,
 * fixtures and examples (often other packages on purpose), vendored crates, and what never
 * reaches the build (dependencies, caches, distributions). Hidden directories too, and those
 * the root .gitignore ignores.
 */
export const SKIPPED_DIRECTORIES = [
  "target",
  "test",
  "tests",
  "fixtures",
  "examples",
  "example",
  "vendor",
  "node_modules",
  "__pycache__",
  "dist",
] as const;

const SKIPPED = new Set<string>(SKIPPED_DIRECTORIES);

/** The result of the search: the file, or why there is none. */
export type PythonProjectSearch =
  | { found: PythonProjectFile; pyproject: Pyproject }
  | { found: null; reason: string };

// `ignore` (the .gitignore matcher eslint uses) is loaded on first use by a specifier
// TypeScript does not follow, so the engine's scan of src/ never reads its declarations.
const IGNORE_PACKAGE = "ignore";
interface GitignoreMatcher {
  add(patterns: string): GitignoreMatcher;
  ignores(path: string): boolean;
}

async function gitignored(reader: PyprojectReader): Promise<(dir: string) => boolean> {
  const text = await reader.read(".gitignore");
  if (text === null) return () => false;
  const module = await import(IGNORE_PACKAGE);
  const matcher = (module.default as () => GitignoreMatcher)().add(text);
  return (dir) => matcher.ignores(`${dir}/`);
}

/** Whether a pyproject.toml found below the root lies in a directory the search skips. */
function skippedBy(file: string, ignored: (dir: string) => boolean): boolean {
  const parts = file.split("/").slice(0, -1);
  return parts.some(
    (part, index) =>
      part.startsWith(".") || SKIPPED.has(part) || ignored(parts.slice(0, index + 1).join("/")),
  );
}

/** The flag's directory, as a path inside the source. */
function flaggedDirectory(dir: string): string {
  const inside = insideSource("", dir);
  if (inside === null) {
    throw new PlanError(
      `--python-project ${dir}: give a directory inside the source (relative to --source), ` +
        "e.g. --python-project pypi",
    );
  }
  return inside;
}

async function named(reader: PyprojectReader, flag: string): Promise<PythonProjectSearch> {
  const file = posix.join(flaggedDirectory(flag), "pyproject.toml");
  const text = await reader.read(file);
  if (text === null) {
    throw new PlanError(
      `--python-project ${flag}: ${file} does not exist in the source; name the directory ` +
        "that holds the maturin pyproject.toml, relative to --source",
    );
  }
  const pyproject = readPyproject(file, text);
  if (!pyproject.declaresPackage) {
    throw new PlanError(
      `--python-project ${flag}: ${file} describes no Python package (no [project] or ` +
        "[build-system]): name the directory of the pyproject.toml maturin builds",
    );
  }
  return { found: { file, text, origin: "--python-project" }, pyproject };
}

/**
 * The pyproject.toml maturin builds: the one `--python-project` names; else the root one when
 * it declares a package; else the only maturin pyproject.toml below the root (outside the
 * skipped directories). Several below the root are refused, listed, with the flag to choose.
 */
export async function locatePythonProject(
  reader: PyprojectReader,
  flag: string | null,
): Promise<PythonProjectSearch> {
  if (flag !== null) return named(reader, flag);
  const rootText = await reader.read("pyproject.toml");
  const root = rootText === null ? null : readPyproject("pyproject.toml", rootText);
  if (root && rootText !== null && buildsWithMaturin(root)) {
    return { found: { file: "pyproject.toml", text: rootText, origin: "root" }, pyproject: root };
  }

  const candidates = (await reader.glob("**/pyproject.toml")).filter(
    (file) => file !== "pyproject.toml",
  );
  const ignored = candidates.length > 0 ? await gitignored(reader) : () => false;
  const searched = candidates.filter((file) => !skippedBy(file, ignored)).sort();
  const maturin: { file: string; text: string; pyproject: Pyproject }[] = [];
  for (const file of searched) {
    const text = await reader.read(file);
    const pyproject = text === null ? null : readPyproject(file, text);
    if (text !== null && pyproject && buildsWithMaturin(pyproject)) {
      maturin.push({ file, text, pyproject });
    }
  }
  const [only, ...others] = maturin;
  if (only && others.length === 0) {
    return {
      found: { file: only.file, text: only.text, origin: "found" },
      pyproject: only.pyproject,
    };
  }
  if (only) {
    throw new PlanError(
      `the source has several maturin pyproject.toml files below its root: ` +
        `${maturin.map((m) => m.file).join(", ")}. Choose the one to release with ` +
        `--python-project <dir>, e.g. --python-project ${only.pyproject.dir}`,
    );
  }
  // A root pyproject.toml of another backend is refused by the plan, with what to change.
  if (root && rootText !== null && root.declaresPackage) {
    return { found: { file: "pyproject.toml", text: rootText, origin: "root" }, pyproject: root };
  }
  const found =
    searched.length === 0
      ? "no maturin pyproject.toml"
      : `none of the pyproject.toml files builds with maturin (${searched.join(", ")})`;
  const where =
    root === null ? "at the root or below it" : "below the root (the root's only configures tools)";
  return {
    found: null,
    reason:
      `${found} ${where}; not searched: ${SKIPPED_DIRECTORIES.map((d) => `${d}/`).join(", ")}, ` +
      "hidden and .gitignored directories (name one with --python-project <dir>)",
  };
}
