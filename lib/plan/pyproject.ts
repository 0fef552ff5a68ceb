import { posix } from "node:path";
import { PlanError } from "./errors.js";
import { parseToml, stringAt, stringList, table } from "./toml.js";

/** What `[tool.maturin]` says about where the crate and the Python sources are. */
export interface MaturinSettings {
  /** `bindings`, when set; maturin detects it from the crate otherwise. */
  bindings: string | null;
  /**
   * The Cargo.toml maturin builds, relative to the source root: `manifest-path` resolved from
   * the directory of pyproject.toml, as maturin resolves it; without one, the Cargo.toml
   * next to pyproject.toml.
   */
  manifestFile: string;
  /** Whether `manifest-path` is set (otherwise manifestFile is maturin's default). */
  manifestPathSet: boolean;
  /** `manifest-path` and `python-source` as written, for messages. */
  written: { manifestPath: string | null; pythonSource: string | null };
  /** `python-source`, relative to the source root (resolved like manifest-path). */
  pythonSource: string | null;
  moduleName: string | null;
  features: string[];
}

/** The parts of pyproject.toml the release reads. */
export interface Pyproject {
  /** Its path relative to the source root (`pyproject.toml`, `pypi/pyproject.toml`). */
  file: string;
  /** Its directory relative to the source root ("" for the root): where maturin runs. */
  dir: string;
  /** `[build-system] build-backend`, or null when there is none. */
  buildBackend: string | null;
  /**
   * Whether the file describes a Python package at all ([project] or [build-system]): a
   * pyproject.toml that only configures tools (`[tool.ruff]`) does not.
   */
  declaresPackage: boolean;
  projectName: string | null;
  /** A static `[project] version`, when `version` is not listed in `dynamic`. */
  staticVersion: string | null;
  /** `[project.scripts]` names, in file order. */
  scripts: string[];
  maturin: MaturinSettings;
}

/** `path` inside the source (`dir/path`, normalized; "" for the root itself), or null when it leaves it. */
export function insideSource(dir: string, path: string): string | null {
  const joined = posix.normalize(posix.join(dir, path.replaceAll("\\", "/"))).replace(/\/$/, "");
  if (posix.isAbsolute(path) || joined === ".." || joined.startsWith("../")) return null;
  return joined === "." ? "" : joined;
}

/**
 * A path setting of `[tool.maturin]`, relative to the source root. maturin resolves it from
 * the directory of pyproject.toml; only the source directory reaches the containers, so a path
 * leaving it is refused.
 */
function sourcePath(file: string, dir: string, key: string, value: string | undefined) {
  if (value === undefined) return null;
  const inside = insideSource(dir, value);
  if (inside === null) {
    throw new PlanError(
      `${file} sets [tool.maturin] ${key} = "${value}", outside the source directory: only ` +
        "--source reaches the build; give a path inside it (relative to the directory of " +
        `${file}), or point --source at a directory that holds both`,
    );
  }
  return inside;
}

/** Whether a pyproject.toml is built by maturin (the plan refuses other backends later). */
export function buildsWithMaturin(pyproject: Pyproject): boolean {
  return pyproject.declaresPackage && pyproject.buildBackend === "maturin";
}

/** Reads `file` (a path relative to the source root) as the release needs it. */
export function readPyproject(file: string, text: string): Pyproject {
  const dir = posix.dirname(file) === "." ? "" : posix.dirname(file);
  const pyproject = parseToml(file, text);
  const build = table(pyproject, "build-system");
  const project = table(pyproject, "project");
  const maturin = table(table(pyproject, "tool") ?? {}, "maturin");
  const dynamic = stringList(project?.dynamic);
  const manifestPath = sourcePath(file, dir, "manifest-path", stringAt(maturin, "manifest-path"));
  return {
    file,
    dir,
    buildBackend: stringAt(build, "build-backend") ?? null,
    declaresPackage: build !== undefined || project !== undefined,
    projectName: stringAt(project, "name") ?? null,
    staticVersion: dynamic.includes("version") ? null : (stringAt(project, "version") ?? null),
    scripts: Object.keys(table(project ?? {}, "scripts") ?? {}),
    maturin: {
      bindings: stringAt(maturin, "bindings") ?? null,
      manifestFile: manifestPath ?? posix.join(dir, "Cargo.toml"),
      manifestPathSet: manifestPath !== null,
      written: {
        manifestPath: stringAt(maturin, "manifest-path") ?? null,
        pythonSource: stringAt(maturin, "python-source") ?? null,
      },
      pythonSource: sourcePath(file, dir, "python-source", stringAt(maturin, "python-source")),
      moduleName: stringAt(maturin, "module-name") ?? null,
      features: stringList(maturin?.features),
    },
  };
}

/**
 * Where maturin looks for a project's Python package: `python-source`, else `src/` (next to
 * pyproject.toml) when it holds the package named after the project (the "src layout"), else
 * the directory of pyproject.toml. `packages` lists the directories holding an `__init__.py`
 * (see loadProjectFiles), relative to the source root like the result.
 */
export function pythonRoot(pyproject: Pyproject, packages: readonly string[]): string {
  if (pyproject.maturin.pythonSource !== null) return pyproject.maturin.pythonSource;
  const importName = pyproject.projectName?.replaceAll("-", "_");
  const src = posix.join(pyproject.dir, "src");
  return importName && packages.includes(posix.join(src, importName)) ? src : pyproject.dir;
}

/** The directories the loader lists Python packages in: python-source, or the two defaults. */
export function pythonRootCandidates(pyproject: Pyproject): string[] {
  return pyproject.maturin.pythonSource !== null
    ? [pyproject.maturin.pythonSource]
    : [pyproject.dir, posix.join(pyproject.dir, "src")];
}
