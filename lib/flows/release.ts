import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Directory } from "@dagger.io/dagger";
import { PROVENANCE_FILE } from "../plan/provenance.js";
import { buildReleaseManifest } from "../plan/release-manifest.js";
import { readReleaseAssets } from "../publishers/github/index.js";
import { prepareRun, type RunContext, type RunOptions } from "../stages/run-context.js";
import { noteManifest } from "./destinations/describe.js";
import { walkDestinations } from "./destinations/index.js";
import { attestedFiles, checkStagedProvenance } from "./destinations/provenance.js";
import { buildAll, collect } from "./release-build.js";
import { downloadStaged, writeManifest } from "./release-files.js";
import {
  type PublishOptions,
  preflight,
  type ReleaseArtifacts,
  type ReleaseRun,
} from "./release-run.js";
import { parseReportFormat, ReleaseReport } from "./report.js";

export interface ReleaseOptions extends RunOptions, PublishOptions {
  tag: string;
  /** `text` (the default) or `markdown`, for a GitHub job summary. */
  reportFormat?: string;
}

/**
 * The files the destinations publish: built and checked by this run, or, when an earlier run
 * staged this release, downloaded from the draft and verified against its manifest.
 */
async function releaseArtifacts(run: ReleaseRun): Promise<ReleaseArtifacts> {
  const { ctx, mode, report, dir } = run;
  if (mode.kind === "resume" && run.github) {
    const files = await downloadStaged(run.github, mode.manifest, dir);
    await checkStagedRecord(run, { files, manifest: mode.manifest });
    report.note(
      `Resumed: ${ctx.plan.tag} was staged by an earlier run; its files were downloaded and ` +
        "verified against the manifest, and nothing was rebuilt.",
    );
    noteManifest(report, mode.manifest, mode.url || "on GitHub");
    return { files, images: "from staged archives", manifest: mode.manifest, manifestPath: null };
  }
  const built = await buildAll(ctx, run.flags);
  for (const note of ctx.compileLog.notes()) report.note(note);
  const files = await collect(ctx, built, dir);
  const staged = ctx.plan.github && ctx.plan.commit && !run.flags.skipGithub;
  const manifest = staged ? buildReleaseManifest(ctx.plan, files.facts) : null;
  const manifestPath = manifest && !run.flags.dryRun ? await writeManifest(manifest, dir) : null;
  if (run.flags.skipGithub && !run.flags.dryRun) {
    report.note(
      "No staging (--skip-github): the files this run built were published directly, and a re-run builds them again.",
    );
  }
  return { files, images: built.images, manifest, manifestPath };
}

/**
 * A resumed release's signed record, checked before anything is published: a staged
 * provenance.sigstore.json must attest exactly the manifest's files (the image is checked once
 * its digest is read).
 */
async function checkStagedRecord(
  run: ReleaseRun,
  staged: Pick<ReleaseArtifacts, "files" | "manifest">,
): Promise<void> {
  if (!run.github || run.flags.skipAttestations) return;
  const bytes = (await readReleaseAssets(run.github, [PROVENANCE_FILE]))?.get(PROVENANCE_FILE);
  if (bytes) checkStagedProvenance(bytes, attestedFiles(staged), "not known yet");
}

function resumeNote(ctx: RunContext, failed: string): string {
  return (
    `To resume: fix the cause above, then run the release for ${ctx.plan.tag} again (in GitHub ` +
    `Actions: Release -> Run workflow, tag ${ctx.plan.tag}). ` +
    (failed === "GitHub staging"
      ? "Staging continues where it stopped."
      : "The staged files are published as they are: nothing is rebuilt.")
  );
}

/**
 * The release, in order; each step is one hop from here:
 * 1. prepareRun (stages/run-context.ts): read the project once, parse the tag once, plan.
 * 2. preflight (release-run.ts): credentials, the tag's commit on GitHub, build or resume.
 * 3. releaseArtifacts: buildAll (release-build.ts: binaries, archives, wheels, sdist, image
 *    variants, all checked), or downloadStaged (release-files.ts) when resuming.
 * 4. walkDestinations (destinations/index.ts): stage on the tag's draft, the image, TestPyPI,
 *    PyPI, and make the release public last.
 * Returns the report; throws it when anything failed.
 */
export async function release(source: Directory, options: ReleaseOptions): Promise<string> {
  const format = parseReportFormat(options.reportFormat);
  const ctx = await prepareRun(source, options);
  const { plan } = ctx;
  const report = new ReleaseReport(
    `${options.dryRun ? "Dry run: " : ""}Release ${plan.tag} of ${plan.project.packageName} ` +
      `(cargo ${plan.version.cargo}${plan.python ? `, python ${plan.python.version}` : ""})`,
  );
  for (const placeholder of plan.placeholders) report.note(`Placeholder (dry run): ${placeholder}`);
  // Artifacts pass through this runtime's file system as bytes, never File.contents().
  const dir = await mkdtemp(join(tmpdir(), "rust-release-"));
  try {
    const run = await preflight(ctx, options, report, dir);
    const artifacts = await releaseArtifacts(run);
    const failed = await walkDestinations(run, artifacts);
    if (failed && run.github) report.note(resumeNote(ctx, failed));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const text = report.render(format);
  if (report.failed) throw new Error(text);
  return text;
}
