import { byCodePoint, scriptCommand } from "./python.js";

export interface ChecksumInput {
  /** The file's path in the container. */
  path: string;
  /** The name written in the checksum file: the asset's name, as users download it. */
  name: string;
}

export interface Checksum {
  name: string;
  sha256: string;
}

// sha256sum escapes names with a newline or backslash, so a plain line would not verify.
function checkNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name === "" || /[\n\r\\]/.test(name)) {
      throw new Error(`checksum name ${JSON.stringify(name)} cannot be written as a plain line`);
    }
    if (seen.has(name)) throw new Error(`checksum name "${name}" appears twice`);
    seen.add(name);
  }
}

/**
 * The argv that writes a `sha256sum -c` compatible file: `<hex>  <name>` per file, sorted by
 * name. The file is also printed, so the log shows what was published.
 */
export function checksumCommand(files: readonly ChecksumInput[], output: string): string[] {
  if (files.length === 0) throw new Error(`${output}: nothing to checksum`);
  checkNames(files.map((file) => file.name));
  return scriptCommand("checksums.py", JSON.stringify({ files, output }));
}

/** The checksum file's text for digests already known (e.g. to compare with a published one). */
export function formatChecksums(entries: readonly Checksum[]): string {
  checkNames(entries.map((entry) => entry.name));
  for (const { name, sha256 } of entries) {
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      throw new Error(`"${name}": "${sha256}" is not a lowercase hex sha256`);
    }
  }
  return [...entries]
    .sort((a, b) => byCodePoint(a.name, b.name))
    .map(({ name, sha256 }) => `${sha256}  ${name}\n`)
    .join("");
}
