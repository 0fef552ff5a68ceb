import { PlanError } from "./errors.js";
import type { CargoPackage } from "./packages.js";
import { type Pyo3Facts, pyo3Facts } from "./pyo3-windows.js";
import { type Pyproject, pythonRoot, readPyproject } from "./pyproject.js";
import type { PythonProjectFile } from "./python-location.js";
import { isTable, stringAt, stringList, type Table, table } from "./toml.js";

/** The maturin bindings this pipeline builds wheels for. */
export type SupportedBindings = "pyo3" | "bin";

export interface PythonProject {
  /** The `[project] name` (or the Cargo package name when pyproject.toml names none). */
  name: string;
  /** The name as wheel and sdist file names spell it (PEP 427/625). */
  distName: string;
  /** A static `[project] version`: the release patches it to the tag's PEP 440 version. */
  staticVersion: string | null;
  /** pyo3: an abi3 extension module; bin: the package's executables, in a py3-none wheel. */
  bindings: SupportedBindings;
  features: string[];
  moduleName: string | null;
  /** `[tool.maturin] python-source`, as given. */
  pythonSource: string | null;
  /** The top-level Python package the wheel ships from the Python sources, if any. */
  pythonPackage: string | null;
  /** `[project.scripts]` names, in file order (the first is smoke-tested for pyo3). */
  scripts: string[];
  /** The abi3 floor as a wheel python tag (`cp38`), for pyo3 bindings. */
  abi3: string | null;
  /** The locked pyo3, when the extension uses it (what its Windows build needs). */
  pyo3: Pyo3Facts | null;
}

/** PEP 427 / PEP 625: runs of `-_.` become `_`, lowercase. */
export function distributionName(projectName: string): string {
  return projectName.replace(/[-_.]+/g, "_").toLowerCase();
}

/** What maturin infers from a direct dependency when pyproject.toml sets no `bindings`. */
const BINDINGS_BY_DEPENDENCY: Record<string, string> = {
  pyo3: "pyo3",
  "pyo3-ffi": "pyo3-ffi",
  cpython: "rust-cpython",
  uniffi: "uniffi",
};

/** Dependency names of `[dependencies]` and every `[target.<cfg>.dependencies]`. */
function dependencyNames(manifest: Table): string[] {
  const targets = Object.values(table(manifest, "target") ?? {}).filter(isTable);
  return [manifest, ...targets].flatMap((t) => Object.keys(table(t, "dependencies") ?? {}));
}

/** maturin's own choice: the set `bindings`, else a binding crate, else cffi for a cdylib, else bin. */
function detectBindings(pyproject: Pyproject, pkg: CargoPackage): string {
  if (pyproject.maturin.bindings !== null) return pyproject.maturin.bindings;
  const names = dependencyNames(pkg.manifest);
  const found = Object.keys(BINDINGS_BY_DEPENDENCY).find((dep) => names.includes(dep));
  if (found) return BINDINGS_BY_DEPENDENCY[found] as string;
  const crateTypes = stringList(table(pkg.manifest, "lib")?.["crate-type"]);
  return crateTypes.includes("cdylib") ? "cffi" : "bin";
}

function supportedBindings(pyproject: Pyproject, pkg: CargoPackage): SupportedBindings {
  const bindings = detectBindings(pyproject, pkg);
  if (bindings === "pyo3" || bindings === "bin") return bindings;
  const how =
    pyproject.maturin.bindings !== null
      ? `${pyproject.file} sets [tool.maturin] bindings = "${bindings}"`
      : `maturin would build "${pkg.name}" with bindings = "${bindings}" (detected from ${pkg.manifestFile})`;
  throw new PlanError(
    `${how}: not supported yet. This pipeline builds pyo3 extensions (abi3) and "bin" wheels ` +
      '(the CLI itself); set bindings = "pyo3" or "bin" in [tool.maturin] if one of them fits',
  );
}

/** `pyo3/abi3-py38` in a feature, or `abi3-py38` in the pyo3 dependency's features, gives cp38. */
function abi3Tag(manifest: Table): string | null {
  const features = Object.values(table(manifest, "features") ?? {}).flatMap(stringList);
  const pyo3 = table(manifest, "dependencies")?.pyo3;
  const dependencyFeatures = isTable(pyo3) ? stringList(pyo3.features) : [];
  const candidates = [
    ...features.flatMap((f) => (f.startsWith("pyo3/") ? [f.slice(5)] : [])),
    ...dependencyFeatures,
  ];
  const floors = candidates.flatMap((f) => {
    const m = /^abi3-py(\d)(\d+)$/.exec(f);
    return m ? [`cp${m[1]}${m[2]}`] : [];
  });
  return floors.sort()[0] ?? null;
}

/**
 * The Python package maturin puts into the wheel besides the Rust part: the directory named
 * like the module (module-name, else the lib name, else the project name, else the crate's)
 * under the Python root. With python-source set, maturin refuses to build without it.
 */
function shippedPythonPackage(
  pyproject: Pyproject,
  pkg: CargoPackage,
  packages: readonly string[],
): string | null {
  const libName = stringAt(table(pkg.manifest, "lib"), "name");
  const moduleName = pyproject.maturin.moduleName ?? libName ?? pyproject.projectName ?? pkg.name;
  const topLevel = moduleName.split(".")[0] ?? moduleName;
  const root = pythonRoot(pyproject, packages);
  const dir = root === "" ? topLevel : `${root}/${topLevel}`;
  if (packages.includes(dir)) return topLevel;
  if (pyproject.maturin.pythonSource !== null) {
    throw new PlanError(
      `${pyproject.file} sets [tool.maturin] python-source = "${pyproject.maturin.written.pythonSource}", ` +
        `but ${dir}/__init__.py does not exist, so maturin would refuse to build: create the ` +
        "package there, set module-name to the package python-source holds, or remove python-source",
    );
  }
  return null;
}

/**
 * pyproject.toml when it describes a package maturin builds; null when there is none or it only
 * configures tools. Another build backend is refused: this pipeline builds wheels with maturin.
 */
export function maturinPyproject(file: PythonProjectFile | null): Pyproject | null {
  const pyproject = file === null ? null : readPyproject(file.file, file.text);
  if (pyproject === null || !pyproject.declaresPackage) return null;
  if (pyproject.buildBackend !== "maturin") {
    const backend =
      pyproject.buildBackend === null
        ? "no [build-system] build-backend"
        : `build-backend = "${pyproject.buildBackend}"`;
    throw new PlanError(
      `${pyproject.file} builds with ${backend}, not maturin: this pipeline builds wheels with ` +
        'maturin only; set build-backend = "maturin" in [build-system] (with maturin in `requires`), ' +
        "or name the directory of a maturin pyproject.toml with --python-project <dir>",
    );
  }
  return pyproject;
}

/** The Python project maturin builds from `pkg`, refusing bindings other than pyo3 and bin. */
export function pythonProject(
  pyproject: Pyproject,
  pkg: CargoPackage,
  cargoLock: string,
  pythonPackages: readonly string[],
): PythonProject {
  const bindings = supportedBindings(pyproject, pkg);
  const name = pyproject.projectName ?? pkg.name;
  const { features } = pyproject.maturin;
  return {
    name,
    distName: distributionName(name),
    staticVersion: pyproject.staticVersion,
    bindings,
    features,
    moduleName: pyproject.maturin.moduleName,
    pythonSource: pyproject.maturin.pythonSource,
    pythonPackage: shippedPythonPackage(pyproject, pkg, pythonPackages),
    scripts: pyproject.scripts,
    abi3: bindings === "pyo3" ? abi3Tag(pkg.manifest) : null,
    pyo3: bindings === "pyo3" ? pyo3Facts(pkg.manifestFile, cargoLock) : null,
  };
}
