import { scriptCommand } from "./python.js";

/** The argv that rewrites the LC_UUID of the Mach-O files at `paths` (in the container). */
export function normalizeMachoUuidCommand(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new Error("normalizeMachoUuidCommand: no files");
  return scriptCommand("macho_uuid.py", "--require-uuid", ...paths);
}
