import semver from "semver";
import { PlanError } from "./errors.js";
import { isTable, parseToml, type Table } from "./toml.js";

/**
 * Before 0.29, pyo3 links an abi3 extension for `*-windows-msvc` against python3.dll through an
 * import library, python3.lib. Cross-compiled from Linux there is none: pyo3's
 * `generate-import-lib` feature makes one (with the python3-dll-a crate), and otherwise the
 * release makes it, the same way, in the Windows build container: llvm-dlltool over the Stable
 * ABI's definitions (PYTHON3_DEF), with PYO3_CROSS_LIB_DIR pointing pyo3 at it. The project's
 * Cargo.toml and Cargo.lock stay as committed. From 0.29 pyo3 links with raw-dylib.
 */
export const RAW_DYLIB_PYO3 = "0.29.0";
/**
 * The first pyo3 that configures an abi3 Windows build without a Python interpreter for the
 * target, from PYO3_CROSS_LIB_DIR alone (pyo3 #2293). Before 0.15, pyo3 also linked the
 * version-specific python3X.dll instead of the Stable ABI's python3.dll (#1880).
 */
export const NO_INTERPRETER_PYO3 = "0.16.4";
/** The import-library feature is called `generate-import-lib` from 0.16.5, before that `generate-abi3-import-lib`. */
const FEATURE_RENAMED_IN = "0.16.5";

/**
 * The Stable ABI's exports, as pyo3's own generator (python3-dll-a) feeds them to llvm-dlltool:
 * a copy of its src/python3.def, in the module's container-scripts, checked against this
 * digest before every use (and by the tests).
 */
export const PYTHON3_DEF = {
  file: "pyo3/python3.def",
  sha256: "86f92bb87e5c9368b7bd5661a36d2a7b9a08f4694dca4c79329ebf1a0891e7e8",
  origin: "python3-dll-a 0.2.15 (MIT), src/python3.def",
} as const;

/** What the plan needs to know of a project's pyo3 to build its Windows wheel. */
export interface Pyo3Facts {
  /** The pyo3 version Cargo.lock records. */
  version: string;
  /** Whether python3-dll-a is locked: pyo3's import-library feature can be built. */
  importLibLocked: boolean;
  /** The manifest of the package with the extension (a workspace member's, with manifest-path). */
  manifestFile: string;
}

/** How the Windows wheel gets python3.dll's import library. */
export interface WindowsImportLibrary {
  /**
   * `raw-dylib`: pyo3 needs none; `pyo3-feature`: pyo3 makes it (python3-dll-a is locked);
   * `python3.def`: the release makes it with llvm-dlltool and sets PYO3_CROSS_LIB_DIR.
   */
  way: "raw-dylib" | "pyo3-feature" | "python3.def";
  /** The way, in words, for the plan's reader. */
  description: string;
  /** Cargo features the Windows wheel is built with besides `[tool.maturin] features`. */
  features: string[];
}

function lockedVersion(lock: Table, name: string): string | null {
  const packages = Array.isArray(lock.package) ? lock.package : [];
  const entry = packages.find((p) => isTable(p) && p.name === name && p.source !== undefined);
  return isTable(entry) && typeof entry.version === "string" ? entry.version : null;
}

/** pyo3's facts for a project with a Python extension, or null when it does not use pyo3. */
export function pyo3Facts(manifestFile: string, lockText: string): Pyo3Facts | null {
  const lock = parseToml("Cargo.lock", lockText);
  const version = lockedVersion(lock, "pyo3");
  if (version === null) return null;
  return {
    version,
    importLibLocked: lockedVersion(lock, "python3-dll-a") !== null,
    manifestFile,
  };
}

/**
 * How the Windows abi3 wheels link python3.dll. Refused only where no way works: a pyo3 that
 * needs a Python interpreter for the target to configure the build. `chosenBy` says where each
 * Windows target of the call was chosen, so that the refusal can name the other fix.
 */
export function windowsImportLibrary(
  pyo3: Pyo3Facts | null,
  chosenBy: readonly string[] = [],
): WindowsImportLibrary {
  if (pyo3 === null) {
    return {
      way: "raw-dylib",
      description: "no pyo3 in Cargo.lock: no import library",
      features: [],
    };
  }
  if (!semver.valid(pyo3.version) || semver.gte(pyo3.version, RAW_DYLIB_PYO3)) {
    return {
      way: "raw-dylib",
      description: `pyo3 ${pyo3.version} links python3.dll with raw-dylib: no import library`,
      features: [],
    };
  }
  if (semver.lt(pyo3.version, NO_INTERPRETER_PYO3)) {
    throw new PlanError(
      `pyo3 ${pyo3.version} (Cargo.lock) cannot build the Windows abi3 extension from Linux: ` +
        `before ${NO_INTERPRETER_PYO3} pyo3 needs a Python interpreter for the target to configure ` +
        "the build (and before 0.15 it links python3X.dll instead of the Stable ABI's python3.dll). " +
        `Upgrade pyo3 to ${NO_INTERPRETER_PYO3} or later in ${pyo3.manifestFile}, then run ` +
        "`cargo update -p pyo3` and commit Cargo.lock" +
        (chosenBy.length > 0
          ? ` (or leave Windows out of the targets: ${[...new Set(chosenBy)].join("; ")})`
          : ""),
    );
  }
  if (pyo3.importLibLocked) {
    const feature = semver.lt(pyo3.version, FEATURE_RENAMED_IN)
      ? "pyo3/generate-abi3-import-lib"
      : "pyo3/generate-import-lib";
    return {
      way: "pyo3-feature",
      description: `pyo3 ${pyo3.version} makes python3.lib itself: ${feature} (python3-dll-a is locked)`,
      features: [feature],
    };
  }
  return {
    way: "python3.def",
    description:
      `pyo3 ${pyo3.version} without python3-dll-a locked: the release makes python3.lib with ` +
      `llvm-dlltool from the Stable ABI's exports (${PYTHON3_DEF.origin}, sha256 ` +
      `${PYTHON3_DEF.sha256}) and sets PYO3_CROSS_LIB_DIR; Cargo.toml and Cargo.lock stay as committed`,
    features: [],
  };
}
