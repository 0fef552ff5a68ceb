import { posix } from "node:path";
import { byCodePoint, scriptCommand } from "./python.js";

export type ArchiveFormat = "tar.gz" | "zip";

export interface ArchiveEntry {
  /** The file's path in the container that runs the archiver. */
  source: string;
  /** Its path inside the archive. */
  name: string;
  mode: number;
}

export interface ArchiveSpec {
  format: ArchiveFormat;
  /** Where the archive is written, in the container. */
  output: string;
  entries: ArchiveEntry[];
  /** Every entry's modification time, in unix seconds (e.g. the commit's time). */
  mtime: number;
}

export const BINARY_MODE = 0o755;
export const DOC_MODE = 0o644;

// LICENSE, LICENSE-MIT, LICENCE.txt, README.md, ... but not a LICENSES/ directory.
const DOC_NAME = /^(LICEN[CS]E|README)([.-][^/]*)?$/i;

function validate(spec: ArchiveSpec): void {
  if (spec.entries.length === 0) throw new Error(`${spec.output}: an archive needs entries`);
  if (!Number.isSafeInteger(spec.mtime) || spec.mtime < 0) {
    throw new Error(`${spec.output}: mtime must be whole unix seconds, got ${spec.mtime}`);
  }
  const seen = new Set<string>();
  for (const { name, mode } of spec.entries) {
    const parts = name.split("/");
    if (name.startsWith("/") || name.includes("\\") || parts.some((p) => p === "" || p === "..")) {
      throw new Error(`${spec.output}: "${name}" is not a plain relative path`);
    }
    if (seen.has(name)) throw new Error(`${spec.output}: "${name}" appears twice`);
    seen.add(name);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new Error(`${spec.output}: "${name}" has mode ${mode}, not a permission mode`);
    }
  }
}

/** The argv that writes the archive a spec describes; same spec and inputs, same bytes. */
export function archiveCommand(spec: ArchiveSpec): string[] {
  validate(spec);
  return scriptCommand("archive.py", JSON.stringify(spec));
}

/** A binary as the plan names it: its file name and cargo's output path for it. */
export interface ArchivedBinary {
  file: string;
  path: string;
}

/**
 * What goes into a target's archive, in archive order: each binary at the root, executable,
 * from cargo's output under `cargoTargetDir`, plus the LICENSE and README files among `docs`
 * (paths of the crate's files), readable by all.
 */
export function archiveEntries(
  binaries: readonly ArchivedBinary[],
  docs: readonly string[],
  cargoTargetDir: string,
): ArchiveEntry[] {
  const executables = binaries.map((binary) => ({
    source: posix.join(cargoTargetDir, binary.path),
    name: binary.file,
    mode: BINARY_MODE,
  }));
  const documents = docs
    .filter((doc) => DOC_NAME.test(posix.basename(doc)))
    .map((doc) => ({ source: doc, name: posix.basename(doc), mode: DOC_MODE }));
  return [...executables, ...documents].sort((a, b) => byCodePoint(a.name, b.name));
}
