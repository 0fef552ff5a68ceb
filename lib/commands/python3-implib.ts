import { PYTHON3_DEF } from "../plan/pyo3-windows.js";
import type { Target } from "../plan/target.js";
import { SCRIPTS_DIR } from "./python.js";

/** Where the Windows wheel's container gets python3.lib: outside the source and the target dir. */
export const IMPORT_LIBRARY_DIR = "/pyo3-implib";

/** The directory PYO3_CROSS_LIB_DIR names for a target: the library for its architecture. */
export function importLibraryDir(target: Pick<Target, "arch">): string {
  return `${IMPORT_LIBRARY_DIR}/${target.arch}`;
}

/**
 * Makes python3.lib for the target's architecture from the module's pinned python3.def
 * (container-scripts/pyo3/make-python3-implib.sh, which checks the digest first), in the
 * Windows build container: llvm-dlltool, as pyo3's own generator runs it.
 */
export function python3ImplibCommand(target: Pick<Target, "arch">): string[] {
  return [
    "sh",
    `${SCRIPTS_DIR}/pyo3/make-python3-implib.sh`,
    PYTHON3_DEF.sha256,
    `${SCRIPTS_DIR}/${PYTHON3_DEF.file}`,
    IMPORT_LIBRARY_DIR,
    target.arch,
  ];
}
