import { scriptCommand } from "./python.js";

export interface SbomSpec {
  /** Where the SBOM is written, in the container. */
  output: string;
  /** The target triple the binaries were built for (recorded in the SBOM). */
  target: string;
  /** The package being released: each binary's dependency list must have it as its root. */
  package: { name: string; version: string };
  /** Each binary's path in the container and its file name in the archive. */
  binaries: { path: string; name: string }[];
  /** The SBOM's timestamp, in unix seconds. */
  sourceDateEpoch: number;
  /** The tool that recorded the lists in the binaries. */
  generator: { name: string; version: string };
}

/**
 * The argv that writes the CycloneDX SBOM of one target's binaries from the dependency lists
 * they carry (container-scripts/sbom.py); it fails, naming the binary, when one carries none or
 * is not the release's package. Same binaries and spec, same bytes.
 */
export function sbomCommand(spec: SbomSpec): string[] {
  if (spec.binaries.length === 0) throw new Error(`${spec.output}: an SBOM needs binaries`);
  if (!Number.isSafeInteger(spec.sourceDateEpoch) || spec.sourceDateEpoch < 0) {
    throw new Error(`${spec.output}: the source date must be whole unix seconds`);
  }
  return scriptCommand("sbom.py", JSON.stringify(spec));
}
