import { type ContainerScript, SCRIPTS_DIR } from "../../src/commands/python.js";
import type { ExecRecord } from "../harness/model.js";

/** A binary build: cargo zigbuild / cargo xwin build, then the copy out, in one shell step. */
export const isCompile = (e: ExecRecord) =>
  e.argv[0] === "sh" && /^cargo (zigbuild|xwin build) /.test(e.argv[2] ?? "");

/** The one step that fetches every locked dependency. */
export const isVendor = (e: ExecRecord) =>
  e.argv[0] === "sh" && (e.argv[2] ?? "").includes("cargo vendor");

export const isMaturinBuild = (e: ExecRecord) => e.argv[0] === "maturin" && e.argv[1] === "build";
export const isMaturin = (e: ExecRecord) => e.argv[0] === "maturin";

/** Anything that compiles Rust or fetches crates: what a resumed release must never run. */
export const isRustWork = (e: ExecRecord) =>
  isCompile(e) || isVendor(e) || isMaturin(e) || e.argv[0] === "cargo";

/** The value after a flag in an argv or in a shell line. */
export function flagValue(e: ExecRecord, flag: string): string | undefined {
  const words = e.argv[0] === "sh" ? (e.argv[2] ?? "").split(/\s+/) : e.argv;
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
