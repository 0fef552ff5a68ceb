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

const scriptIncludes = (e: ExecRecord, marker: string) =>
  e.argv[0] === "python3" && e.argv[1] === "-c" && (e.argv[2] ?? "").includes(marker);

/** The archive, checksum, binary-check and Mach-O UUID scripts, by a line only each has. */
export const isArchiveStep = (e: ExecRecord) => scriptIncludes(e, "def write_tar_gz(");
export const isChecksumStep = (e: ExecRecord) => scriptIncludes(e, "def sha256_of(");
export const isBinaryCheck = (e: ExecRecord) => scriptIncludes(e, "def glibc_versions(");
export const isMachoUuidStep = (e: ExecRecord) => scriptIncludes(e, "def canonical_uuid(");
