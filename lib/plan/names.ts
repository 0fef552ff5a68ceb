import type { Target } from "./target.js";

/** The checksum file published next to the archives (`sha256sum -c` reads it). */
export const CHECKSUM_FILE = "SHA256SUMS";

/**
 * The seed's archive names, which users' `releases/latest/download/<name>` links rely on:
 * `<bin>-<target>.tar.gz` for Unix, `<bin>-<target>.zip` for Windows, binary at the root.
 */
export function archiveName(bin: string, target: Target): string {
  return `${bin}-${target.triple}.${target.archiveFormat}`;
}

/**
 * The CycloneDX SBOM staged next to a target's archive: the archive's name and `.cdx.json`
 * (CycloneDX's file-name convention; GoReleaser names its per-artifact SBOMs the same way), so
 * the archives' own names, which download links rely on, stay as they were.
 */
export function sbomName(archive: string): string {
  return `${archive}.cdx.json`;
}

/** The binary's file name inside the archive and in cargo's output directory. */
export function binaryFileName(bin: string, target: Target): string {
  return `${bin}${target.exeSuffix}`;
}

/** Where cargo writes the release binary, relative to the target directory. */
export function binaryOutputPath(bin: string, target: Target): string {
  return `${target.triple}/release/${binaryFileName(bin, target)}`;
}

/**
 * The python and abi tags of a project's wheels: `cp38-abi3` for an abi3 extension (any
 * CPython from the floor on), `py3-none` for bin bindings (the executable needs no Python ABI).
 */
export interface WheelTags {
  python: string;
  abi: string;
}

/** The wheel maturin builds for a target: one per platform. */
export function wheelName(
  distName: string,
  pep440: string,
  tags: WheelTags,
  target: Target,
): string {
  return `${distName}-${pep440}-${tags.python}-${tags.abi}-${target.wheelPlatformTag}.whl`;
}

/** The sdist name (PEP 625). */
export function sdistName(distName: string, pep440: string): string {
  return `${distName}-${pep440}.tar.gz`;
}

/** Each binary of a target: its cargo name, its file name and cargo's output path for it. */
export function targetBinaries(
  target: Target,
  bins: readonly string[],
): { name: string; file: string; path: string }[] {
  return bins.map((name) => ({
    name,
    file: binaryFileName(name, target),
    path: binaryOutputPath(name, target),
  }));
}
