import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Container, Directory, Secret } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import { parseRepository } from "../plan/image-tags.js";
import { buildReleasePlan, type ReleasePlan } from "../plan/release-plan.js";
import { TARGETS } from "../plan/targets.js";
import {
  type GithubTarget,
  inspectGithubRelease,
  publishGithubRelease,
} from "../publishers/github.js";
import { publishImage } from "../publishers/registry.js";
import { allTargetBinaries, archivesDirectory, type TargetBinaries } from "../stages/binaries.js";
import { contextLabels, imageVariants, smokeTestImage } from "../stages/image.js";
import { type PythonDist, pythonDist } from "../stages/python.js";
import { type BuildContext, buildContext, readProjectFiles } from "../stages/source.js";
import { enginePlatform } from "../stages/toolchain.js";
import {
  type IndexOverrides,
  type PythonCredentials,
  type PythonDestination,
  publishPythonDist,
  pythonDestinations,
  requireUploads,
} from "./python.js";
import { ReleaseReport } from "./report.js";

export interface ReleaseOptions extends PythonCredentials, IndexOverrides {
  tag: string;
  cargoPackage: string | null;
  sha: string | null;
  repository: string | null;
  githubToken: Secret | null;
  githubApiUrl: string;
  replaceChangedAssets: boolean;
  registryPassword: Secret | null;
  registryUsername: string | null;
  imageName: string | null;
  registry: string;
  latestOnRelease: boolean;
  skipGithub: boolean;
  skipImage: boolean;
  skipPypi: boolean;
  skipTestPypi: boolean;
  dryRun: boolean;
  sourceDateEpoch: number | null;
}

interface Preflight {
  plan: ReleasePlan;
  python: PythonDestination[];
  github: GithubTarget | null;
}

function githubTarget(plan: ReleasePlan, options: ReleaseOptions): GithubTarget | null {
  if (options.skipGithub || !plan.repository || !options.githubToken) return null;
  const { owner, name } = parseRepository(plan.repository);
  const token = options.githubToken;
  return {
    apiUrl: options.githubApiUrl,
    token: () => token.plaintext(),
    owner,
    repo: name,
    tag: plan.tag,
  };
}

/**
 * Everything that can be known before compiling: the plan, and for each enabled destination its
 * credentials and (not in a dry run) GitHub's view of the tag. Fails with the flag to fix.
 */
async function preflight(source: Directory, options: ReleaseOptions): Promise<Preflight> {
  const files = await readProjectFiles(source);
  const plan = buildReleasePlan({
    files,
    tag: options.tag,
    cargoPackage: options.cargoPackage,
    commit: options.sha,
    repository: options.repository,
    imageName: options.imageName,
    registry: options.registry,
    latestOnRelease: options.latestOnRelease,
    dryRun: options.dryRun,
  });
  const needsRepository = !options.skipGithub || !options.skipImage;
  if (needsRepository && !plan.repository) {
    throw new PlanError(
      "--repository owner/name is needed for the GitHub Release and the image " +
        "(GITHUB_REPOSITORY in Actions), or pass --skip-github and --skip-image",
    );
  }
  if (!options.skipImage && !plan.commit) {
    throw new PlanError(
      "--sha is needed for the image's sha-<7> tag and revision label (GITHUB_SHA in Actions), " +
        "or pass --skip-image",
    );
  }
  const python =
    options.skipPypi || !plan.python
      ? []
      : pythonDestinations(options, options, { testPypi: options.skipTestPypi, pypi: false });
  if (!options.dryRun) {
    if (!options.skipGithub && !options.githubToken) {
      throw new PlanError(
        "publishing the GitHub Release needs --github-token env://GITHUB_TOKEN (the workflow " +
          "needs `permissions: contents: write`), or pass --skip-github",
      );
    }
    if (!options.skipImage && !options.registryPassword) {
      throw new PlanError(
        "pushing the image needs --registry-password env://GITHUB_TOKEN (the workflow needs " +
          "`permissions: packages: write`), or pass --skip-image",
      );
    }
    requireUploads(python);
  }
  const github = githubTarget(plan, options);
  if (github && !options.dryRun) await checkGithubRelease(github, plan);
  return { plan, python, github };
}

async function checkGithubRelease(github: GithubTarget, plan: ReleasePlan): Promise<void> {
  const inspection = await inspectGithubRelease({
    ...github,
    assetNames: plan.github?.assets ?? [],
  });
  if (inspection.problems.length > 0) throw new PlanError(inspection.problems.join("\n"));
  if (plan.commit && inspection.tagCommit && inspection.tagCommit !== plan.commit.sha) {
    throw new PlanError(
      `tag ${plan.tag} points at ${inspection.tagCommit} on GitHub, but --sha is ` +
        `${plan.commit.sha}: release the commit the tag names (check out the tag before building)`,
    );
  }
}

interface Artifacts {
  ctx: BuildContext;
  releaseAssets: Directory;
  images: Container[];
  python: PythonDist | null;
}

/** Builds and checks every artifact; any failure here means nothing has been published. */
async function buildAll(
  source: Directory,
  pre: Preflight,
  options: ReleaseOptions,
): Promise<Artifacts> {
  const ctx = await buildContext(source, options);
  const native = await enginePlatform();
  const [built, python] = await Promise.all([
    allTargetBinaries(ctx, native),
    pre.python.length > 0
      ? pythonDist(ctx, TARGETS, { sdist: true, nativePlatform: native })
      : null,
  ]);
  const releaseAssets = archivesDirectory(ctx, built);
  const images = options.skipImage ? [] : releaseImages(ctx, built, pre.plan);
  const nativeImage = images[linux(built).findIndex((b) => b.target.platform === native)];
  if (nativeImage) await smokeTestImage(ctx, nativeImage);
  await Promise.all([releaseAssets.sync(), ...images.map((image) => image.sync())]);
  return { ctx, releaseAssets, images, python };
}

function linux(built: TargetBinaries[]): TargetBinaries[] {
  return built.filter((b) => b.target.platform);
}

/** The image variants, from the same checked binaries the archives hold. */
function releaseImages(ctx: BuildContext, built: TargetBinaries[], plan: ReleasePlan): Container[] {
  const labels = contextLabels(ctx, plan.repository, plan.commit?.sha ?? null);
  return imageVariants(ctx, linux(built), labels);
}

async function publishGithub(
  artifacts: Artifacts,
  pre: Preflight,
  options: ReleaseOptions,
  report: ReleaseReport,
): Promise<void> {
  const github = pre.plan.github;
  if (!github || !pre.github) throw new PlanError("no GitHub repository or token");
  const dir = await mkdtemp(join(tmpdir(), "rust-release-assets-"));
  try {
    // Bytes go through the runtime's own filesystem: File.contents() is for text only.
    await artifacts.releaseAssets.export(dir);
    const published = await publishGithubRelease({
      ...pre.github,
      commit: pre.plan.commit?.sha ?? null,
      name: github.releaseName,
      prerelease: github.prerelease,
      makeLatest: github.makeLatest,
      assets: github.assets.map((name) => ({ name, path: join(dir, name) })),
      replaceChangedAssets: options.replaceChangedAssets,
    });
    const where = `GitHub Release ${github.repository} ${pre.plan.tag} (${published.url})`;
    for (const asset of published.assets) {
      const outcome = asset.status === "already-there" ? "already there" : "published";
      report.add(where, asset.name, outcome, `${asset.digest}  ${asset.url}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function pushImage(
  artifacts: Artifacts,
  pre: Preflight,
  options: ReleaseOptions,
  report: ReleaseReport,
): Promise<void> {
  const image = pre.plan.image;
  if (!image || !options.registryPassword || !pre.plan.repository) {
    throw new PlanError("no image repository or registry password");
  }
  const pushed = await publishImage({
    references: image.references,
    variants: artifacts.images,
    registry: image.registry,
    username: options.registryUsername ?? parseRepository(pre.plan.repository).owner,
    password: options.registryPassword,
  });
  for (const reference of pushed) {
    const [name, digest] = reference.split("@");
    report.add(imageDestination(pre.plan), name ?? reference, "published", digest ?? "");
  }
}

function imageDestination(plan: ReleasePlan): string {
  return `Image ${plan.image?.repository} (${plan.image?.platforms.join(", ")})`;
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

/**
 * The release: preflight, build and verify everything, then publish in order (GitHub Release,
 * image, TestPyPI, PyPI), stopping at the first failure. Returns the report; throws it when
 * anything failed. A dry run does the first two in full and reports what it would publish.
 */
export async function release(source: Directory, options: ReleaseOptions): Promise<string> {
  const pre = await preflight(source, options);
  const artifacts = await buildAll(source, pre, options);
  const { plan } = pre;
  const report = new ReleaseReport(
    `${options.dryRun ? "Dry run: " : ""}Release ${plan.tag} of ${plan.project.packageName} ` +
      `(cargo ${plan.version.cargo}, python ${plan.version.pep440})`,
  );
  for (const placeholder of plan.placeholders) report.note(`Placeholder (dry run): ${placeholder}`);
  const state = { stopped: null as string | null };

  if (options.skipGithub) report.add("GitHub Release", "-", "skipped", "--skip-github");
  else if (options.dryRun) {
    for (const asset of plan.github?.assets ?? []) {
      report.add(`GitHub Release ${plan.github?.repository} ${plan.tag}`, asset, "would publish");
    }
  } else {
    await step(report, "GitHub Release", state, () =>
      publishGithub(artifacts, pre, options, report),
    );
  }

  if (options.skipImage) report.add("Image", "-", "skipped", "--skip-image");
  else if (options.dryRun) {
    for (const reference of plan.image?.references ?? []) {
      report.add(imageDestination(plan), reference, "would publish");
    }
  } else {
    await step(report, "Image", state, () => pushImage(artifacts, pre, options, report));
  }

  if (!plan.python) {
    report.add("PyPI", "-", "not applicable", "the project has no maturin pyproject.toml");
  } else if (options.skipPypi || !artifacts.python) {
    report.add("PyPI", "-", "skipped", "--skip-pypi");
  } else if (state.stopped) {
    for (const { index } of pre.python) {
      report.add(index.name, "-", "skipped", `${state.stopped} failed first`);
    }
  } else {
    const project = { name: plan.python.project, version: plan.python.version };
    await publishPythonDist(
      artifacts.ctx,
      artifacts.python,
      pre.python,
      project,
      report,
      options.dryRun,
    );
  }

  const text = report.render();
  if (report.failed) throw new Error(text);
  return text;
}
