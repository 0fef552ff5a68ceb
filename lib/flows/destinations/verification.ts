import type { ReleaseRun } from "../release-run.js";
import { verifyTarget } from "../verification-target.js";
import { checkRelease } from "../verify-checks.js";
import type { Destination } from "./destination.js";

const LABEL = "Verification (before going public)";

/** The indexes this run uploaded to with trusted publishing: those hold PEP 740 provenance. */
function attestedIndexes(run: ReleaseRun) {
  if (run.flags.skipPypi || !run.ctx.plan.python) return [];
  const indexes = run.flags.skipTestPypi ? [run.pypi.pypi] : [run.pypi.testPypi, run.pypi.pypi];
  return indexes.filter((d) => d.upload?.kind === "trusted publishing").map((d) => d.index);
}

/**
 * `verify`'s checks on the draft, before anyone can download it: every asset against the
 * manifest and the provenance, the image's digest and signature, each distribution's
 * provenance on the indexes it went to. A check that fails keeps the release a draft.
 */
export const verification: Destination = {
  name: "Verification",
  label: () => LABEL,

  skip(run) {
    if (run.flags.skipAttestations) return { outcome: "skipped", reason: "--skip-attestations" };
    if (run.flags.skipGithub || !run.ctx.plan.github) {
      return { outcome: "not applicable", reason: "no staged release to check" };
    }
    if (!run.attest) return { outcome: "not applicable", reason: "nothing was signed" };
    return null;
  },

  preview(run) {
    const what = [
      "every staged file against the manifest and provenance.sigstore.json",
      ...(run.flags.skipImage || !run.ctx.plan.image ? [] : ["the image's digest and signature"]),
      ...attestedIndexes(run).map((index) => `PEP 740 provenance on ${index.name}`),
    ];
    run.report.add(LABEL, run.ctx.plan.tag, "would verify", what.join("; "));
  },

  async publish(run) {
    const { plan } = run.ctx;
    if (!run.github || !plan.repository) throw new Error("verification needs the staged release");
    const checks = await checkRelease(
      await verifyTarget({
        github: run.github,
        repository: `${plan.repository.owner}/${plan.repository.name}`,
        trustConfig: run.trustConfig,
        registryLogin: run.registry,
        indexes: attestedIndexes(run),
        image: !run.flags.skipImage && plan.image !== null,
      }),
    );
    const failed = checks.filter((c) => !c.held);
    for (const check of failed) {
      run.report.add(LABEL, check.subject, "failed", `${check.check}: ${check.detail}`);
    }
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} of ${checks.length} checks did not hold; the release stays a draft`,
      );
    }
    run.report.add(LABEL, plan.tag, "verified", `all ${checks.length} checks held`);
  },
};
