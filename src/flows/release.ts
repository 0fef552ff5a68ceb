import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Directory } from "@dagger.io/dagger";
import { buildReleaseManifest, MANIFEST_FILE, stagedFileNames } from "../plan/release-manifest.js";
import { reportPlannedUploads } from "./python.js";
import { buildAll, collect } from "./release-build.js";
import {
  describeFile,
  githubDestination,
  noteManifest,
  publishDestinations,
} from "./release-destinations.js";
import { imageDestination } from "./release-image.js";
import { preflight, type ReleaseOptions, type ReleaseRun } from "./release-preflight.js";
import { stagedRelease } from "./release-staged.js";
import { ReleaseReport } from "./report.js";

export type { ReleaseOptions } from "./release-preflight.js";

/** --skip-github: no staging; the files this run built go straight to each destination. */
async function unstagedRelease(run: ReleaseRun): Promise<void> {
  const { pre, options, report, dir } = run;
  const built = await buildAll(run);
  const files = await collect(built, pre.plan, dir);
  report.add("GitHub Release", "-", "skipped", "--skip-github");
  report.note(
    "No staging (--skip-github): the files this run built were published directly, and a re-run builds them again.",
  );
  await publishDestinations(pre, options, built.ctx, files, built.images, report, {
    stopped: null,
  });
}

/** --dry-run: builds and checks everything, and reports what would be staged and published. */
async function dryRelease(run: ReleaseRun): Promise<void> {
  const { pre, options, report, dir } = run;
  const { plan } = pre;
  const built = await buildAll(run);
  const files = await collect(built, plan, dir);
  if (options.skipGithub) report.add("GitHub Release", "-", "skipped", "--skip-github");
  else if (plan.github && plan.commit) {
    const manifest = buildReleaseManifest(plan, files.facts);
    for (const name of [...stagedFileNames(plan), MANIFEST_FILE]) {
      report.add(
        `Would stage on ${githubDestination(plan)} (draft)`,
        name,
        "would stage",
        describeFile(manifest, name),
      );
    }
    noteManifest(report, manifest, "not uploaded");
  }
  if (options.skipImage) report.add("Image", "-", "skipped", "--skip-image");
  else {
    for (const reference of plan.image?.references ?? []) {
      report.add(imageDestination(plan), reference, "would publish");
    }
  }
  if (!plan.python)
    report.add("PyPI", "-", "not applicable", "the project has no maturin pyproject.toml");
  else if (options.skipPypi) report.add("PyPI", "-", "skipped", "--skip-pypi");
  else reportPlannedUploads(pre.python, [...plan.python.wheels, plan.python.sdist], report);
  if (!options.skipGithub && plan.github) {
    report.add(
      githubDestination(plan),
      plan.tag,
      "would publish",
      `draft -> public last, make_latest ${plan.github.makeLatest}`,
    );
  }
}

/**
 * The release: preflight, then build and check everything (or resume what an earlier run
 * staged), stage it on the tag's draft release, publish the image, TestPyPI and PyPI, and make
 * the release public last. Returns the report; throws it when anything failed.
 */
export async function release(source: Directory, options: ReleaseOptions): Promise<string> {
  const pre = await preflight(source, options);
  const { plan } = pre;
  const report = new ReleaseReport(
    `${options.dryRun ? "Dry run: " : ""}Release ${plan.tag} of ${plan.project.packageName} ` +
      `(cargo ${plan.version.cargo}${plan.python ? `, python ${plan.python.version}` : ""})`,
  );
  for (const placeholder of plan.placeholders) report.note(`Placeholder (dry run): ${placeholder}`);
  // Artifacts pass through this runtime's file system as bytes, never File.contents().
  const dir = await mkdtemp(join(tmpdir(), "rust-release-"));
  try {
    const run = { source, options, pre, report, dir };
    if (options.dryRun) await dryRelease(run);
    else if (pre.github) await stagedRelease(run);
    else await unstagedRelease(run);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const text = report.render();
  if (report.failed) throw new Error(text);
  return text;
}
