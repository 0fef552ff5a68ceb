import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Container, type Directory, dag } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import {
  buildReleaseManifest,
  MANIFEST_FILE,
  type ReleaseManifest,
  stagedFileNames,
} from "../plan/release-manifest.js";
import type { ReleasePlan } from "../plan/release-plan.js";
import { TARGETS } from "../plan/targets.js";
import { publishStagedRelease, stageGithubRelease } from "../publishers/github.js";
import { allTargetBinaries, archivesDirectory, type TargetBinaries } from "../stages/binaries.js";
import { contextLabels, imageVariants, smokeTestImage } from "../stages/image.js";
import { type PythonDist, pythonDist } from "../stages/python.js";
import { type BuildContext, buildContext } from "../stages/source.js";
import { enginePlatform } from "../stages/toolchain.js";
import { publishPythonDist, reportPlannedUploads } from "./python.js";
import { collectBuilt, downloadStaged, type ReleaseFiles, writeManifest } from "./release-files.js";
import {
  imageAlreadyPushed,
  imageDestination,
  imageFromArchives,
  pushImage,
  registryLogin,
} from "./release-image.js";
import { type Preflight, preflight, type ReleaseOptions } from "./release-preflight.js";
import { ReleaseReport } from "./report.js";

export type { ReleaseOptions } from "./release-preflight.js";

interface Built {
  ctx: BuildContext;
  /** The archives and SHA256SUMS. */
  releaseAssets: Directory;
  /** The image's variants, from the same checked binaries (none with --skip-image). */
  images: Container[];
  python: PythonDist | null;
}

/**
 * Builds and checks every artifact; any failure here means nothing has been published. The
 * Python distributions are built whenever the project has them (even with --skip-pypi): they
 * are part of what the release is, and staged with it.
 */
async function buildAll(
  source: Directory,
  pre: Preflight,
  options: ReleaseOptions,
): Promise<Built> {
  const ctx = await buildContext(source, options);
  const native = await enginePlatform();
  const [built, python] = await Promise.all([
    allTargetBinaries(ctx, native),
    pre.plan.python ? pythonDist(ctx, TARGETS, { sdist: true, nativePlatform: native }) : null,
  ]);
  const releaseAssets = archivesDirectory(ctx, built);
  const images = options.skipImage ? [] : releaseImages(ctx, built, pre.plan);
  const linux = built.filter((b) => b.target.platform);
  const nativeImage = images[linux.findIndex((b) => b.target.platform === native)];
  if (nativeImage) await smokeTestImage(ctx, nativeImage);
  await Promise.all([releaseAssets.sync(), ...images.map((image) => image.sync())]);
  return { ctx, releaseAssets, images, python };
}

/** The image variants, from the same checked binaries the archives hold. */
function releaseImages(ctx: BuildContext, built: TargetBinaries[], plan: ReleasePlan): Container[] {
  const labels = contextLabels(ctx, plan.repository, plan.commit?.sha ?? null);
  return imageVariants(
    ctx,
    built.filter((b) => b.target.platform),
    labels,
  );
}

/** The built files of the release, in this runtime and in the engine, hashed. */
function collect(built: Built, plan: ReleasePlan, dir: string): Promise<ReleaseFiles> {
  const directories = [built.releaseAssets, ...(built.python ? [built.python.directory] : [])];
  return collectBuilt(directories, stagedFileNames(plan), dir);
}

/** Runs one destination unless an earlier one failed; records a failure and stops the rest. */
async function step(
  report: ReleaseReport,
  destination: string,
  state: { stopped: string | null },
  run: () => Promise<void>,
): Promise<void> {
  if (state.stopped) {
    report.add(destination, "-", "skipped", `${state.stopped} failed first`);
    return;
  }
  try {
    await run();
  } catch (error) {
    report.add(destination, "-", "failed", error instanceof Error ? error.message : String(error));
    state.stopped = destination;
  }
}

function describeFile(manifest: ReleaseManifest, name: string): string {
  const file = manifest.files.find((f) => f.name === name);
  return file ? `${file.kind}${file.target ? ` ${file.target}` : ""}  sha256:${file.sha256}` : "";
}

function noteManifest(report: ReleaseReport, manifest: ReleaseManifest, where: string): void {
  report.note(
    `Staged manifest (${MANIFEST_FILE}, ${where}): ${manifest.tag} of ` +
      `${manifest.project.package}, cargo ${manifest.version.cargo}, python ` +
      `${manifest.version.pep440}, commit ${manifest.commit}, ${manifest.files.length} files`,
  );
}

/** The image, TestPyPI and PyPI, in that order, from the given files; the first failure stops. */
async function publishDestinations(
  pre: Preflight,
  options: ReleaseOptions,
  ctx: BuildContext,
  files: ReleaseFiles,
  images: Container[] | "from staged archives",
  report: ReleaseReport,
  state: { stopped: string | null },
): Promise<void> {
  const { plan } = pre;
  if (options.skipImage) report.add("Image", "-", "skipped", "--skip-image");
  else if (options.registryPassword) {
    const login = registryLogin(plan, options.registryUsername, options.registryPassword);
    await step(report, "Image", state, async () => {
      if (images === "from staged archives") {
        if (await imageAlreadyPushed(plan, login)) {
          for (const reference of plan.image?.references ?? []) {
            report.add(
              imageDestination(plan),
              reference,
              "already there",
              `revision ${plan.commit?.sha}`,
            );
          }
          return;
        }
        await pushImage(plan, login, await imageFromArchives(ctx, plan, files.directory), report);
      } else {
        await pushImage(plan, login, images, report);
      }
    });
  }

  if (!plan.python)
    report.add("PyPI", "-", "not applicable", "the project has no maturin pyproject.toml");
  else if (options.skipPypi) report.add("PyPI", "-", "skipped", "--skip-pypi");
  else if (state.stopped) {
    for (const { index } of pre.python) {
      report.add(index.name, "-", "skipped", `${state.stopped} failed first`);
    }
  } else {
    const python = plan.python;
    const names = [...python.wheels, python.sdist];
    const dist = {
      directory: dag.directory().withDirectory("/", files.directory, { include: names }),
      files: files.facts.filter((f) => names.includes(f.name)),
    };
    const project = { name: python.project, version: python.version };
    const ok = await publishPythonDist(ctx, dist, pre.python, project, report);
    if (!ok) state.stopped = "PyPI";
  }
}

/** The GitHub Release as the report names it. */
function githubDestination(plan: ReleasePlan): string {
  return `GitHub Release ${plan.github?.repository} ${plan.tag}`;
}

/**
 * Builds (or, resuming, downloads and verifies) the files, stages them on the tag's draft with
 * the manifest last, publishes the image, TestPyPI and PyPI from those bytes, and only then
 * makes the GitHub Release public: `releases/latest` never points at a release whose PyPI or
 * image part is missing. Any failure leaves the draft for a re-run to resume.
 */
async function stagedRelease(
  source: Directory,
  pre: Preflight,
  options: ReleaseOptions,
  report: ReleaseReport,
  dir: string,
): Promise<void> {
  const { plan, mode } = pre;
  const github = pre.github;
  const release = plan.github;
  if (!github || !release || !plan.commit)
    throw new PlanError("no GitHub repository, token or commit");
  const staging = `Staged on ${githubDestination(plan)} (draft)`;
  const state = { stopped: null as string | null };
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
    const built = await buildAll(source, pre, options);
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
    report.add(
      githubDestination(plan),
      plan.tag,
      published.flipped ? "published" : "already there",
      `${published.flipped ? `draft -> public, make_latest ${release.prerelease ? "false" : release.makeLatest}  ` : ""}${published.url}`,
    );
  });
}

/** --skip-github: no staging; the files this run built go straight to each destination. */
async function unstagedRelease(
  source: Directory,
  pre: Preflight,
  options: ReleaseOptions,
  report: ReleaseReport,
  dir: string,
): Promise<void> {
  const built = await buildAll(source, pre, options);
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
async function dryRelease(
  source: Directory,
  pre: Preflight,
  options: ReleaseOptions,
  report: ReleaseReport,
  dir: string,
): Promise<void> {
  const { plan } = pre;
  const built = await buildAll(source, pre, options);
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
      `(cargo ${plan.version.cargo}, python ${plan.version.pep440})`,
  );
  for (const placeholder of plan.placeholders) report.note(`Placeholder (dry run): ${placeholder}`);
  // Artifacts pass through this runtime's file system as bytes, never File.contents().
  const dir = await mkdtemp(join(tmpdir(), "rust-release-"));
  try {
    if (options.dryRun) await dryRelease(source, pre, options, report, dir);
    else if (pre.github) await stagedRelease(source, pre, options, report, dir);
    else await unstagedRelease(source, pre, options, report, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const text = report.render();
  if (report.failed) throw new Error(text);
  return text;
}
