import type { Container } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import {
  buildReleaseManifest,
  MANIFEST_FILE,
  type ReleaseManifest,
  stagedFileNames,
} from "../plan/release-manifest.js";
import { publishStagedRelease, stageGithubRelease } from "../publishers/github.js";
import { type BuildContext, buildContext } from "../stages/source.js";
import { buildAll, collect } from "./release-build.js";
import {
  describeFile,
  githubDestination,
  noteManifest,
  publishDestinations,
  type StepState,
  step,
} from "./release-destinations.js";
import { downloadStaged, type ReleaseFiles, writeManifest } from "./release-files.js";
import type { ReleaseRun } from "./release-preflight.js";

/**
 * Builds (or, resuming, downloads and verifies) the files, stages them on the tag's draft with
 * the manifest last, publishes the image, TestPyPI and PyPI from those bytes, and only then
 * makes the GitHub Release public: `releases/latest` never points at a release whose PyPI or
 * image part is missing. Any failure leaves the draft for a re-run to resume.
 */
export async function stagedRelease(run: ReleaseRun): Promise<void> {
  const { source, pre, options, report, dir } = run;
  const { plan, mode } = pre;
  const github = pre.github;
  const release = plan.github;
  if (!github || !release || !plan.commit)
    throw new PlanError("no GitHub repository, token or commit");
  const staging = `Staged on ${githubDestination(plan)} (draft)`;
  const state: StepState = { stopped: null };
  let ctx: BuildContext;
  let files: ReleaseFiles;
  let manifest: ReleaseManifest;
  let images: Container[] | "from staged archives";

  if (mode.kind === "resume") {
    ctx = await buildContext(source, options);
    manifest = mode.manifest;
    files = await downloadStaged(github, manifest, dir);
    images = "from staged archives";
    report.note(
      `Resumed: ${plan.tag} was staged by an earlier run; its files were downloaded and ` +
        "verified against the manifest, and nothing was rebuilt.",
    );
    for (const file of manifest.files)
      report.add(staging, file.name, "already there", describeFile(manifest, file.name));
    noteManifest(report, manifest, mode.url || "on GitHub");
  } else {
    const built = await buildAll(run);
    ctx = built.ctx;
    images = built.images;
    files = await collect(built, plan, dir);
    manifest = buildReleaseManifest(plan, files.facts);
    const manifestPath = await writeManifest(manifest, dir);
    if (mode.staged === "replaced by --rebuild")
      report.note("Rebuilt (--rebuild): the files staged earlier were compared with this build's.");
    await step(report, staging, state, async () => {
      const staged = await stageGithubRelease({
        ...github,
        commit: plan.commit?.sha ?? null,
        name: release.releaseName,
        prerelease: release.prerelease,
        makeLatest: release.makeLatest,
        assets: stagedFileNames(plan).map((name) => ({ name, path: files.paths[name] ?? "" })),
        manifest: { name: MANIFEST_FILE, path: manifestPath },
        replaceChangedAssets: options.replaceChangedAssets,
      });
      for (const asset of staged.assets) {
        const outcome = asset.status === "already-there" ? "already there" : "staged";
        const replaced = asset.status === "replaced" ? "  (replaced a different earlier copy)" : "";
        report.add(
          staging,
          asset.name,
          outcome,
          `${describeFile(manifest, asset.name) || asset.digest}${replaced}`,
        );
      }
      noteManifest(report, manifest, staged.url);
    });
  }

  await publishDestinations(pre, options, ctx, files, images, report, state);

  if (state.stopped) {
    report.add(githubDestination(plan), "-", "skipped", `stays a draft: ${state.stopped} failed`);
    report.note(
      `To resume: fix the cause above, then run the release for ${plan.tag} again (in GitHub ` +
        `Actions: Release -> Run workflow, tag ${plan.tag}). ` +
        (state.stopped === staging
          ? "Staging continues where it stopped."
          : "The staged files are published as they are: nothing is rebuilt."),
    );
    return;
  }
  await step(report, githubDestination(plan), state, async () => {
    const published = await publishStagedRelease({
      ...github,
      name: release.releaseName,
      prerelease: release.prerelease,
      makeLatest: release.makeLatest,
    });
    const latest = release.prerelease ? "false" : release.makeLatest;
    const flip = published.flipped ? `draft -> public, make_latest ${latest}  ` : "";
    const outcome = published.flipped ? "published" : "already there";
    report.add(githubDestination(plan), plan.tag, outcome, `${flip}${published.url}`);
  });
}
