import { PlanError } from "./errors.js";
import type { ProjectManifest } from "./manifest.js";
import { sdistName, type WheelTags } from "./names.js";
import { type WindowsImportLibrary, windowsImportLibrary } from "./pyo3-windows.js";
import type { PythonProjectFile } from "./python-location.js";
import type { SupportedBindings } from "./python-project.js";
import type { TargetSelection } from "./target-selection.js";
import type { ReleaseVersion } from "./version.js";

/** What the smoke test imports and runs from an installed wheel. */
export interface SmokeSubject {
  /**
   * The top-level package, e.g. `sample_usage` for module-name `sample_usage._native`; null for
   * a bin wheel without Python sources, which has nothing to import.
   */
  importName: string | null;
  /**
   * What the wheel installs into the environment's `bin/` and the test runs (`--help`,
   * `--version`): a console script, or a bin wheel's executable; null when there is none.
   */
  script: string | null;
}

/** The Python artifacts of a release. */
export interface PythonPlan {
  /**
   * The pyproject.toml maturin builds from (maturin runs in its directory, `dir`), and how it
   * was chosen: next to Cargo.toml, named by --python-project, or found below the root.
   */
  pyproject: { file: string; dir: string; origin: PythonProjectFile["origin"] };
  project: string;
  distName: string;
  /** The PEP 440 version the wheels and the sdist carry. */
  version: string;
  bindings: SupportedBindings;
  wheelTags: WheelTags;
  features: string[];
  /**
   * How the Windows wheel links python3.dll (pyo3 before 0.29 needs an import library); null
   * for bin wheels and when the plan builds no Windows target.
   */
  windows: WindowsImportLibrary | null;
  moduleName: string | null;
  pythonSource: string | null;
  /** The binaries a bin wheel installs (every binary of the package); none for pyo3. */
  executables: string[];
  /** What the smoke test of the native wheel imports and runs. */
  smokeTest: SmokeSubject;
  sdist: string;
  /** The wheels of the plan's targets, in target order. */
  wheels: string[];
}

/** bin wheels hold an executable, for any Python 3; pyo3 ones an abi3 extension module. */
function wheelTags(manifest: ProjectManifest): WheelTags {
  const python = manifest.python;
  if (python?.bindings === "bin") return { python: "py3", abi: "none" };
  if (!python?.abi3) {
    throw new PlanError(
      `the Python extension of "${manifest.packageName}" is not abi3: one wheel per platform needs ` +
        'pyo3\'s abi3 feature, e.g. pyo3 = ["dep:pyo3", "pyo3/extension-module", "pyo3/abi3-py38"]',
    );
  }
  return { python: python.abi3, abi: "abi3" };
}

/**
 * What to smoke-test in a project's wheel. An extension (pyo3): the top-level package of
 * `module-name` (maturin's default module is the lib name) and the first `[project.scripts]`
 * entry. A bin wheel: the package's own executable, and the Python package it ships, if any.
 */
export function smokeSubject(manifest: ProjectManifest): SmokeSubject {
  const python = manifest.python;
  if (python?.bindings === "bin") {
    return { importName: python.pythonPackage, script: manifest.primaryBin };
  }
  const moduleName =
    python?.moduleName ?? manifest.libName ?? manifest.packageName.replaceAll("-", "_");
  const importName = moduleName.split(".")[0] ?? moduleName;
  return { importName, script: python?.scripts[0] ?? null };
}

/** Where a target of the call was chosen, for errors about it. */
function chosenBy(selection: TargetSelection, triple: string): string {
  return selection.choice.writtenAt[triple] ?? `--target ${triple}`;
}

/** Refuses a target for which maturin cannot build the project's kind of wheel. */
function requireWheels(selection: TargetSelection, bindings: SupportedBindings): void {
  for (const target of selection.targets) {
    if (target.wheelBindings.includes(bindings)) continue;
    throw new PlanError(
      `${chosenBy(selection, target.triple)}: maturin cannot build a ${bindings} wheel for ` +
        `${target.triple} (it builds ${target.wheelBindings.join(" and ") || "none"} there), ` +
        "and the release publishes a wheel for every target: leave the target out",
    );
  }
}

/**
 * The Python artifacts of a release (null when the project has no maturin pyproject.toml),
 * refusing what cannot be published: a pyo3 extension that is not abi3, a target maturin
 * cannot build this kind of wheel for, a Windows target pyo3 cannot link. The wheels' names
 * are the targets' (see prepareRelease).
 */
export function planPython(
  manifest: ProjectManifest,
  version: ReleaseVersion,
  selection: TargetSelection,
  file: PythonProjectFile | null,
): Omit<PythonPlan, "wheels"> | null {
  const python = manifest.python;
  if (!python || !file) return null;
  const tags = wheelTags(manifest);
  requireWheels(selection, python.bindings);
  const dir = file.file.includes("/") ? file.file.slice(0, file.file.lastIndexOf("/")) : "";
  const windows = selection.targets.filter((t) => t.os === "windows");
  return {
    pyproject: { file: file.file, dir, origin: file.origin },
    project: python.name,
    distName: python.distName,
    version: version.pep440,
    bindings: python.bindings,
    wheelTags: tags,
    features: python.features,
    windows:
      python.bindings === "pyo3" && windows.length > 0
        ? windowsImportLibrary(
            python.pyo3,
            windows.map((t) => chosenBy(selection, t.triple)),
          )
        : null,
    moduleName: python.moduleName,
    pythonSource: python.pythonSource,
    executables: python.bindings === "bin" ? manifest.bins : [],
    smokeTest: smokeSubject(manifest),
    sdist: sdistName(python.distName, version.pep440),
  };
}
