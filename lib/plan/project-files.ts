import { PlanError } from "./errors.js";
import { type Pyproject, pythonRootCandidates } from "./pyproject.js";
import { locatePythonProject, type PythonProjectFile } from "./python-location.js";
import { isTable, parseToml, stringList } from "./toml.js";

export type { PythonProjectFile } from "./python-location.js";

/**
 * Read access to a project's source tree, relative to its root. The plan only ever reads
 * through this, so the same code serves a local directory and a Dagger Directory.
 */
export interface SourceReader {
  /** The text of a file, or null when there is no such file. */
  read(path: string): Promise<string | null>;
  /**
   * Paths of existing files or directories matching a pattern: `*` stays within one segment,
   * a `**` segment crosses any number of them.
   */
  glob(pattern: string): Promise<string[]>;
  /** Whether `path` is a regular file (not a directory). */
  isFile(path: string): Promise<boolean>;
}

/** The manifest texts of a project, as read from its source directory. */
export interface ProjectFiles {
  /** The root `Cargo.toml`. */
  cargoToml: string;
  /** The root `Cargo.lock`, or null when the project has none. */
  cargoLock: string | null;
  /** The pyproject.toml maturin builds from (see locatePythonProject), when there is one. */
  pyproject: PythonProjectFile | null;
  /** Why the project has no Python release, when `pyproject` is null. */
  noPythonReason: string | null;
  /** `rust-toolchain.toml` or the legacy `rust-toolchain`, when present. */
  rustToolchain: { file: string; text: string } | null;
  /** Member manifests of the workspace, keyed by member directory (e.g. `crates/cli`). */
  members: Record<string, string>;
  /**
   * `.rs` files under `src/` of the root package and of each member, relative to the source root
   * (`src/main.rs`, `crates/cli/src/bin/x.rs`): Cargo discovers binaries from them.
   */
  sourceFiles: string[];
  /**
   * The Cargo.toml pyproject.toml's maturin builds (`manifest-path` resolved from its
   * directory, else the one next to it), relative to the source root, and whether it exists.
   */
  maturinManifest: { path: string; exists: boolean } | null;
  /**
   * Directories with an `__init__.py` directly below where maturin looks for Python sources
   * (python-source, else pyproject.toml's directory and its `src/`), e.g. `python/uv`, relative
   * to the source root.
   */
  pythonPackages: string[];
  /** LICENSE, LICENCE, README and COPYING files at the source root, sorted: every archive ships them. */
  docs: string[];
}

const under = (dir: string, path: string) => (dir === "" ? path : `${dir}/${path}`);

/** The reader, asked at most once per path: several facts can come from the same file. */
function readOnce(reader: SourceReader): SourceReader {
  const texts = new Map<string, Promise<string | null>>();
  return {
    read(path) {
      const known = texts.get(path);
      if (known) return known;
      const text = reader.read(path);
      texts.set(path, text);
      return text;
    },
    glob: (pattern) => reader.glob(pattern),
    isFile: (path) => reader.isFile(path),
  };
}

/** The files Cargo discovers binaries from, for one package directory ("" for the root). */
async function binarySources(reader: SourceReader, dir: string): Promise<string[]> {
  const patterns = ["src/main.rs", "src/bin/*.rs", "src/bin/*/main.rs"];
  const found = await Promise.all(patterns.map((p) => reader.glob(under(dir, p))));
  return found.flat().sort();
}

/** Member directories of `[workspace]`: `members` globs, less the paths in `exclude`. */
async function memberDirectories(reader: SourceReader, cargoToml: string): Promise<string[]> {
  const workspace = parseToml("Cargo.toml", cargoToml).workspace;
  if (!isTable(workspace)) return [];
  const clean = (path: string) => path.replace(/^\.\//, "").replace(/\/$/, "");
  const excluded = new Set(stringList(workspace.exclude).map(clean));
  const found = await Promise.all(
    stringList(workspace.members).map((pattern) => reader.glob(clean(pattern))),
  );
  return [...new Set(found.flat())].filter((dir) => !excluded.has(dir)).sort();
}

/**
 * The directories with an `__init__.py` directly below where maturin may find the project's
 * Python package: whether the wheel ships one decides what the smoke test imports.
 */
async function pythonPackages(reader: SourceReader, pyproject: Pyproject): Promise<string[]> {
  const roots = pythonRootCandidates(pyproject);
  const found = await Promise.all(roots.map((root) => reader.glob(under(root, "*/__init__.py"))));
  return found
    .flat()
    .map((init) => init.slice(0, -"/__init__.py".length))
    .sort();
}

/** The Cargo.toml maturin builds, and whether the file is there. */
async function maturinManifest(
  reader: SourceReader,
  pyproject: Pyproject,
): Promise<ProjectFiles["maturinManifest"]> {
  const path = pyproject.maturin.manifestFile;
  return { path, exists: (await reader.read(path)) !== null };
}

/** The LICENSE and README files at the root (directories such as LICENSES/ are not). */
async function rootDocs(reader: SourceReader): Promise<string[]> {
  const found = await Promise.all(
    ["LICENSE*", "LICENCE*", "README*", "COPYING*"].map((pattern) => reader.glob(pattern)),
  );
  const candidates = [...new Set(found.flat())].sort();
  const files = await Promise.all(
    candidates.map(async (path) => ((await reader.isFile(path)) ? [path] : [])),
  );
  return files.flat();
}

/** What the caller says about where things are, besides the source itself. */
export interface LoadOptions {
  /** `--python-project`: the directory (relative to the source) of the pyproject.toml to build. */
  pythonProject?: string | null;
}

/** The refusal of a source without Cargo.toml: an empty one (or none at all) says so. */
async function noCargoToml(reader: SourceReader): Promise<PlanError> {
  const entries = await reader.glob("*");
  return new PlanError(
    entries.length === 0
      ? "the source directory is empty (or does not exist): pass the project's directory, the " +
          "one holding Cargo.toml and Cargo.lock, with --source"
      : `the source has no Cargo.toml at its root (it holds ${entries.slice(0, 5).join(", ")}` +
          `${entries.length > 5 ? ", ..." : ""}): pass the project directory with --source`,
  );
}

/** Reads the manifests and the file listing the plan needs, each file once. */
export async function loadProjectFiles(
  source: SourceReader,
  options: LoadOptions = {},
): Promise<ProjectFiles> {
  const reader = readOnce(source);
  const [cargoToml, cargoLock, toolchainToml, toolchainLegacy] = await Promise.all([
    reader.read("Cargo.toml"),
    reader.read("Cargo.lock"),
    reader.read("rust-toolchain.toml"),
    reader.read("rust-toolchain"),
  ]);
  if (cargoToml === null) throw await noCargoToml(reader);

  const members: Record<string, string> = {};
  for (const dir of await memberDirectories(reader, cargoToml)) {
    const text = await reader.read(`${dir}/Cargo.toml`);
    if (text !== null) members[dir] = text;
  }
  const sourceFiles = (
    await Promise.all(["", ...Object.keys(members)].map((dir) => binarySources(reader, dir)))
  ).flat();
  const python = await locatePythonProject(reader, options.pythonProject ?? null);
  const pyproject = python.found ? python.pyproject : null;

  return {
    cargoToml,
    cargoLock,
    pyproject: python.found,
    noPythonReason: python.found ? null : python.reason,
    rustToolchain:
      toolchainToml !== null
        ? { file: "rust-toolchain.toml", text: toolchainToml }
        : toolchainLegacy !== null
          ? { file: "rust-toolchain", text: toolchainLegacy }
          : null,
    members,
    sourceFiles,
    maturinManifest: pyproject === null ? null : await maturinManifest(reader, pyproject),
    pythonPackages: pyproject === null ? [] : await pythonPackages(reader, pyproject),
    docs: await rootDocs(reader),
  };
}
