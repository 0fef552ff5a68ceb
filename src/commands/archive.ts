import { posix } from "node:path";
import { byCodePoint, PYTHON } from "./python.js";

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

/**
 * Deterministic archiver, standard library only (it runs in a plain python image). Only the spec
 * decides the bytes: sorted entries, one mtime, root ownership, no names or times in the gzip
 * header. zlib's output is stable for a given image, which the pinned image guarantees.
 */
const ARCHIVE_SCRIPT = `
import gzip
import json
import os
import stat
import sys
import tarfile
import time
import zipfile

# Zip stores DOS times, which cannot express anything before 1980; we write UTC.
ZIP_EARLIEST = (1980, 1, 1, 0, 0, 0)


def write_tar_gz(spec, entries):
    with open(spec["output"], "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for entry in entries:
                    info = tarfile.TarInfo(entry["name"])
                    info.size = os.path.getsize(entry["source"])
                    info.mode = entry["mode"]
                    info.mtime = spec["mtime"]
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with open(entry["source"], "rb") as data:
                        tar.addfile(info, data)


def write_zip(spec, entries):
    date_time = max(ZIP_EARLIEST, tuple(time.gmtime(spec["mtime"])[:6]))
    with zipfile.ZipFile(spec["output"], "w") as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry["name"], date_time=date_time)
            # Unix, so unzip applies the permission bits kept in external_attr.
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | entry["mode"]) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(entry["source"], "rb") as data:
                archive.writestr(info, data.read(), compresslevel=9)


def main():
    spec = json.loads(sys.argv[1])
    entries = sorted(spec["entries"], key=lambda entry: entry["name"])
    write = {"tar.gz": write_tar_gz, "zip": write_zip}[spec["format"]]
    try:
        # No image has the output directory: it is the step's own.
        os.makedirs(os.path.dirname(spec["output"]) or ".", exist_ok=True)
        write(spec, entries)
    except OSError as error:
        sys.exit(f"cannot write {spec['output']}: {error}")
    for entry in entries:
        print(f"{entry['mode']:04o} {entry['name']}")
    print(f"wrote {spec['output']}")


main()
`;

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
  return [PYTHON, "-c", ARCHIVE_SCRIPT, JSON.stringify(spec)];
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
