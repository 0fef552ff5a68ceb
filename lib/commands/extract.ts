import type { ArchiveFormat } from "./archive.js";
import { scriptCommand } from "./python.js";

export interface ExtractSpec {
  /** The archive's path in the container. */
  archive: string;
  format: ArchiveFormat;
  /** Members to copy out, by their name in the archive, to paths in the container. */
  members: { name: string; output: string }[];
}

/** The argv that copies members out of an archive. */
export function extractCommand(spec: ExtractSpec): string[] {
  if (spec.members.length === 0) throw new Error(`${spec.archive}: nothing to extract`);
  return scriptCommand("extract.py", JSON.stringify(spec));
}
