/** The interpreter every non-build step runs: the pinned python slim image has nothing else. */
export const PYTHON = "python3";

/** Where a container that runs one of the module's scripts has them (see stages/scripts.ts). */
export const SCRIPTS_DIR = "/rust-release";

/**
 * The module's own folder of container scripts, relative to the module's root: real Python
 * files, outside src/ (the engine loads everything under src/ as TypeScript on every call).
 */
export const SCRIPTS_SOURCE = "container-scripts";

/** The Python programs the pipeline runs in containers, by file name. */
export type ContainerScript =
  | "archive.py"
  | "check_binary.py"
  | "check_dist.py"
  | "checksums.py"
  | "extract.py"
  | "macho_uuid.py"
  | "python_smoke.py"
  | "sbom.py";

/** The argv that runs one of the module's scripts in a container that has them. */
export function scriptCommand(script: ContainerScript, ...args: string[]): string[] {
  return [PYTHON, `${SCRIPTS_DIR}/${script}`, ...args];
}

/**
 * Orders names as Python's `sorted` orders str (by code point), so what a pure function
 * plans and what the scripts write agree; UTF-8 byte order is code point order.
 */
export function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
