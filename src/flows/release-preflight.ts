import type { Directory, Secret } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import { parseRepository } from "../plan/image-tags.js";
import {
  MANIFEST_FILE,
  manifestMismatch,
  parseReleaseManifest,
  type ReleaseManifest,
  stagedFileNames,
} from "../plan/release-manifest.js";
import { buildReleasePlan, type ReleasePlan } from "../plan/release-plan.js";
import { type GithubTarget, inspectGithubRelease } from "../publishers/github.js";
import { readProjectFiles } from "../stages/source.js";
import {
  type IndexOverrides,
  type PythonCredentials,
  type PythonDestination,
  pythonDestinations,
  requireUploads,
} from "./python.js";
import type { ReleaseReport } from "./report.js";

export interface ReleaseOptions extends PythonCredentials, IndexOverrides {
  tag: string;
  cargoPackage: string | null;
  sha: string | null;
  repository: string | null;
  githubToken: Secret | null;
  githubApiUrl: string;
  replaceChangedAssets: boolean;
  /** Build and stage anew even when the tag's release holds a matching staged manifest. */
  rebuild: boolean;
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

/**
 * How this run gets its files: `build` compiles and checks everything (then stages it, unless
 * GitHub is skipped); `resume` publishes the files an earlier run staged on the tag's release.
 */
export type ReleaseMode =
  | { kind: "build"; staged: "none" | "unfinished" | "replaced by --rebuild" }
  | { kind: "resume"; manifest: ReleaseManifest; draft: boolean; url: string };

export interface Preflight {
  plan: ReleasePlan;
  python: PythonDestination[];
  github: GithubTarget | null;
  mode: ReleaseMode;
}

/** One release in progress: what it releases, what preflight decided, where it reports. */
export interface ReleaseRun {
  source: Directory;
  options: ReleaseOptions;
  pre: Preflight;
  report: ReleaseReport;
  /** This runtime's scratch directory for the release's files (removed at the end). */
  dir: string;
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

function requireCredentials(
  plan: ReleasePlan,
  options: ReleaseOptions,
  python: PythonDestination[],
) {
  const needsRepository = !options.skipGithub || !options.skipImage;
  if (needsRepository && !plan.repository) {
    throw new PlanError(
      "--repository owner/name is needed for the GitHub Release and the image " +
        "(GITHUB_REPOSITORY in Actions), or pass --skip-github and --skip-image",
    );
  }
  const staging = !options.skipGithub && !options.dryRun;
  if ((!options.skipImage || staging) && !plan.commit) {
    throw new PlanError(
      "--sha is needed for the image's sha-<7> tag and revision label and for the staged " +
        "release's record (GITHUB_SHA in Actions), or pass --skip-image and --skip-github",
    );
  }
  if (options.dryRun) return;
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

/**
 * GitHub's view of the tag: the commit it names, and whether an earlier run staged this
 * release (then this one resumes it) or another one (refused).
 */
async function githubMode(
  github: GithubTarget,
  plan: ReleasePlan,
  options: ReleaseOptions,
): Promise<ReleaseMode> {
  const inspection = await inspectGithubRelease({
    ...github,
    assetNames: [...stagedFileNames(plan), MANIFEST_FILE],
    manifestName: MANIFEST_FILE,
  });
  if (plan.commit && inspection.tagCommit && inspection.tagCommit !== plan.commit.sha) {
    throw new PlanError(
      `tag ${plan.tag} points at ${inspection.tagCommit} on GitHub, but --sha is ` +
        `${plan.commit.sha}: release the commit the tag names (check out the tag before building)`,
    );
  }
  if (inspection.manifest === null) {
    if (inspection.problems.length > 0) throw new PlanError(inspection.problems.join("\n"));
    return { kind: "build", staged: inspection.release === "none" ? "none" : "unfinished" };
  }
  const manifest = parseReleaseManifest(inspection.manifest);
  const mismatch = manifestMismatch(manifest, plan);
  if (mismatch) throw new PlanError(mismatch);
  if (options.rebuild) {
    if (inspection.problems.length > 0) throw new PlanError(inspection.problems.join("\n"));
    return { kind: "build", staged: "replaced by --rebuild" };
  }
  return {
    kind: "resume",
    manifest,
    draft: inspection.release === "draft",
    url: inspection.url ?? "",
  };
}

/**
 * Everything that can be known before compiling: the plan, each enabled destination's
 * credentials and, when publishing to GitHub, the tag's commit and whether its release was
 * already staged. Fails with the flag to fix.
 */
export async function preflight(source: Directory, options: ReleaseOptions): Promise<Preflight> {
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
  const python =
    options.skipPypi || !plan.python
      ? []
      : pythonDestinations(options, options, { testPypi: options.skipTestPypi, pypi: false });
  requireCredentials(plan, options, python);
  const github = githubTarget(plan, options);
  const mode: ReleaseMode =
    github && !options.dryRun
      ? await githubMode(github, plan, options)
      : { kind: "build", staged: "none" };
  return { plan, python, github, mode };
}
