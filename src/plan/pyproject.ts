import { posix } from "node:path";
import { PlanError } from "./errors.js";
import { parseToml, stringAt, stringList, table } from "./toml.js";

/** What `[tool.maturin]` says about where the crate and the Python sources are. */
export interface MaturinSettings {
  /** `bindings`, when set; maturin detects it from the crate otherwise. */
  bindings: string | null;
  /** `manifest-path`, relative to the source root (where pyproject.toml is). */
  manifestPath: string | null;
  /** `python-source`, relative to the source root. */
  pythonSource: string | null;
  moduleName: string | null;
  features: string[];
}

/** The parts of pyproject.toml the release reads. */
export interface Pyproject {
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

/**
 * A path setting of `[tool.maturin]`, as a clean path relative to the source root. maturin
 * refuses a crate outside the directory of pyproject.toml, and so does the release: only the
 * source directory reaches the containers.
 */
function relativePath(key: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const normalized = posix.normalize(value.replaceAll("\\", "/")).replace(/\/$/, "");
  if (posix.isAbsolute(normalized) || normalized === ".." || normalized.startsWith("../")) {
    throw new PlanError(
      `pyproject.toml sets [tool.maturin] ${key} = "${value}", outside the source directory: ` +
        "give a path below the directory of pyproject.toml",
    );
  }
  return normalized === "." ? "" : normalized;
}

export function readPyproject(text: string): Pyproject {
  const pyproject = parseToml("pyproject.toml", text);
  const build = table(pyproject, "build-system");
  const project = table(pyproject, "project");
  const maturin = table(table(pyproject, "tool") ?? {}, "maturin");
  const dynamic = stringList(project?.dynamic);
  return {
    buildBackend: stringAt(build, "build-backend") ?? null,
    declaresPackage: build !== undefined || project !== undefined,
    projectName: stringAt(project, "name") ?? null,
    staticVersion: dynamic.includes("version") ? null : (stringAt(project, "version") ?? null),
    scripts: Object.keys(table(project ?? {}, "scripts") ?? {}),
    maturin: {
      bindings: stringAt(maturin, "bindings") ?? null,
      manifestPath: relativePath("manifest-path", stringAt(maturin, "manifest-path")),
      pythonSource: relativePath("python-source", stringAt(maturin, "python-source")),
      moduleName: stringAt(maturin, "module-name") ?? null,
      features: stringList(maturin?.features),
    },
  };
}

/**
 * Where maturin looks for a project's Python package: `python-source`, else `src/` when it
 * holds the package named after the project (the "src layout"), else the source root.
 * `packages` lists the directories holding an `__init__.py` (see loadProjectFiles).
 */
export function pythonRoot(pyproject: Pyproject, packages: readonly string[]): string {
  if (pyproject.maturin.pythonSource !== null) return pyproject.maturin.pythonSource;
  const importName = pyproject.projectName?.replaceAll("-", "_");
  return importName && packages.includes(`src/${importName}`) ? "src" : "";
}

/** The directories the loader lists Python packages in: python-source, or the two defaults. */
export function pythonRootCandidates(pyproject: Pyproject): string[] {
  return pyproject.maturin.pythonSource !== null ? [pyproject.maturin.pythonSource] : ["", "src"];
}
