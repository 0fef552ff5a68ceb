import { type ContainerScript, SCRIPTS_DIR } from "../../lib/commands/python.js";
import { COMPILE_CACHED_SCRIPT } from "../../lib/commands/sccache.js";
import type { Target } from "../../lib/plan/target.js";
import type { ExecRecord } from "../harness/model.js";

/** A compile step run through the compile cache's script (with --compile-cache). */
export const isCompileCached = (e: ExecRecord) =>
  e.argv[0] === "sh" && e.argv[1] === `${SCRIPTS_DIR}/${COMPILE_CACHED_SCRIPT}`;

/** A release's wheel step that runs the binaries' cargo zigbuild first (zig targets). */
export const isMaturinAfterBinaries = (e: ExecRecord) => {
  const argv = isCompileCached(e) ? e.argv.slice(4) : e.argv;
  return argv[0] === "sh" && argv[1] === `${SCRIPTS_DIR}/maturin-after-zigbuild.sh`;
};

/**
 * The command a step runs, inside the compile cache's script when there is one, and the
 * maturin command of a release's wheel step that builds the binaries first.
 */
export function commandOf(e: ExecRecord): string[] {
  const argv = isCompileCached(e) ? e.argv.slice(4) : e.argv;
  return isMaturinAfterBinaries(e) ? argv.slice(7) : argv;
}

/** A binary build: cargo zigbuild / cargo xwin build, then the copy out, in one shell step. */
export const isCompile = (e: ExecRecord) => {
  const argv = commandOf(e);
  return argv[0] === "sh" && /^cargo (zigbuild|xwin build) /.test(argv[2] ?? "");
};

/** The one step that fetches every locked dependency. */
export const isVendor = (e: ExecRecord) =>
  e.argv[0] === "sh" && (e.argv[2] ?? "").includes("cargo vendor");

export const isMaturinBuild = (e: ExecRecord) =>
  commandOf(e)[0] === "maturin" && commandOf(e)[1] === "build";
export const isMaturin = (e: ExecRecord) => commandOf(e)[0] === "maturin";

/** Anything that compiles Rust or fetches crates: what a resumed release must never run. */
export const isRustWork = (e: ExecRecord) =>
  isCompile(e) || isVendor(e) || isMaturin(e) || e.argv[0] === "cargo";

/** The value after a flag in an argv or in a shell line. */
export function flagValue(e: ExecRecord, flag: string): string | undefined {
  const argv = commandOf(e);
  const words = argv[0] === "sh" ? (argv[2] ?? "").split(/\s+/) : argv;
  const at = words.indexOf(flag);
  return at === -1 ? undefined : words[at + 1];
}

/** A step that runs one of the module's container scripts (container-scripts/<name>). */
export const runsScript = (e: ExecRecord, script: ContainerScript) =>
  e.argv[0] === "python3" && e.argv[1] === `${SCRIPTS_DIR}/${script}`;

export const isArchiveStep = (e: ExecRecord) => runsScript(e, "archive.py");
export const isChecksumStep = (e: ExecRecord) => runsScript(e, "checksums.py");
export const isBinaryCheck = (e: ExecRecord) => runsScript(e, "check_binary.py");
export const isMachoUuidStep = (e: ExecRecord) => runsScript(e, "macho_uuid.py");
export const isExtractStep = (e: ExecRecord) => runsScript(e, "extract.py");
export const isCheckDist = (e: ExecRecord) => runsScript(e, "check_dist.py");
export const isSmokeTest = (e: ExecRecord) => runsScript(e, "python_smoke.py");
export const isSbomStep = (e: ExecRecord) => runsScript(e, "sbom.py");

/** The JSON spec a script step was given (its last argument). */
export function scriptSpec(e: ExecRecord): Record<string, unknown> {
  return JSON.parse(e.argv.at(-1) ?? "{}");
}

/**
 * One target's step of a multi-target call: a build names its target, every later step the
 * binary's path under /in/<triple>/.
 */
export function stepForTarget(
  execs: readonly ExecRecord[],
  target: Target,
  predicate: (e: ExecRecord) => boolean,
): ExecRecord {
  const found = execs.find(
    (e) =>
      predicate(e) &&
      (commandOf(e)[2]?.includes(`--target ${target.buildTarget} `) ||
        e.argv.some((word) => word.includes(`/in/${target.triple}/`))),
  );
  if (!found) throw new Error(`no recorded step for ${target.triple}`);
  return found;
}
