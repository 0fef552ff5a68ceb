import type { ReleaseArtifacts, ReleaseRun } from "../release-run.js";
import { type Destination, errorMessage } from "./destination.js";
import { githubPublic, githubStaging } from "./github.js";
import { image } from "./image.js";
import { provenance } from "./provenance.js";
import { pypi, testPypi } from "./pypi.js";
import { verification } from "./verification.js";

export type { Destination } from "./destination.js";

/**
 * Where a release goes, in order. Nothing is published before everything is staged, and the
 * release becomes public only when every other destination has its part.
 */
export const DESTINATIONS: readonly Destination[] = [
  githubStaging, // every file and the manifest, on the tag's draft release
  image, //         the multi-arch image, from the same checked binaries
  provenance, //    one signed SLSA statement of every file and the image; PEP 740; image signature
  testPypi, //      the wheels and the sdist, first where mistakes cost nothing
  pypi, //          then on PyPI
  verification, //  verify's checks on the draft: files, provenance, image signature, PyPI provenance
  githubPublic, //  draft -> public, last
];

/** The destinations publish-python and publish-image walk on their own. */
export const PYTHON_DESTINATIONS: readonly Destination[] = [provenance, testPypi, pypi];

/**
 * Walks the destinations in order: each is skipped (and says why), previewed (dry run) or
 * published; the first failure stops the ones after it, which say so. Returns the label of the
 * destination that failed, if one did.
 */
export async function walkDestinations(
  run: ReleaseRun,
  artifacts: ReleaseArtifacts,
  destinations: readonly Destination[] = DESTINATIONS,
): Promise<string | null> {
  const { report } = run;
  let failed: string | null = null;
  for (const destination of destinations) {
    const label = destination.label(run);
    const skip = destination.skip(run);
    if (skip) {
      const artifacts = skip.artifacts ?? [{ name: "-", detail: skip.reason }];
      for (const artifact of artifacts)
        report.add(label, artifact.name, skip.outcome, artifact.detail);
    } else if (failed) {
      report.add(label, "-", "skipped", destination.stopped?.(failed) ?? `${failed} failed first`);
    } else if (run.flags.dryRun) {
      destination.preview(run, artifacts);
    } else {
      try {
        await destination.publish(run, artifacts);
      } catch (error) {
        report.add(label, "-", "failed", errorMessage(error));
        failed = destination.name;
      }
    }
  }
  return failed;
}
