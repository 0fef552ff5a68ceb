import type { Container, File, Secret } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import {
  MANIFEST_FILE,
  manifestMismatch,
  parseReleaseManifest,
  type ReleaseManifest,
  stagedFileNames,
} from "../plan/release-manifest.js";
import type { ReleasePlan } from "../plan/release-plan.js";
import { type GithubTarget, inspectGithubRelease } from "../publishers/github/index.js";
import {
  type IndexOverrides,
  type PypiDestination,
  type PythonCredentials,
  pypiDestinations,
  requireUpload,
} from "../publishers/pypi/index.js";
import type { RegistryLogin } from "../publishers/registry/index.js";
import type { RunContext } from "../stages/run-context.js";
import {
  type AttestationOptions,
  type AttestationSetup,
  attestationSetup,
} from "./attestation-setup.js";
import type { ReleaseFiles } from "./release-files.js";
import type { ReleaseReport } from "./report.js";

/** The flags that decide which destinations a run touches, and how. */
export interface PublishFlags {
  skipGithub?: boolean;
  skipImage?: boolean;
  skipPypi?: boolean;
  skipTestPypi?: boolean;
  /** Replace staged or published files whose content differs from this build. */
  replaceChangedAssets?: boolean;
  /** Build and stage anew even when the tag's release holds a matching staged manifest. */
  rebuild?: boolean;
  /** Build and check everything, publish nothing. */
  dryRun?: boolean;
  /** Sign nothing: no provenance, PEP 740 attestations or image signature (forks, private indexes). */
  skipAttestations?: boolean;
}

/** The credentials and endpoints of every destination. */
export interface PublishOptions
  extends PublishFlags,
    PythonCredentials,
    IndexOverrides,
    AttestationOptions {
  githubToken?: Secret | null;
  githubApiUrl?: string;
  registryPassword?: Secret | null;
  registryUsername?: string | null;
}

/**
 * How this run gets its files: `build` compiles and checks everything (then stages it, unless
 * GitHub is skipped); `resume` publishes the files an earlier run staged on the tag's release.
 */
export type ReleaseMode =
  | { kind: "build"; staged: "none" | "unfinished" | "replaced by --rebuild" }
  | { kind: "resume"; manifest: ReleaseManifest; draft: boolean; url: string };

/** One release in progress: the plan, each destination's credentials, and its report. */
export interface ReleaseRun {
  ctx: RunContext;
  flags: PublishFlags;
  mode: ReleaseMode;
  github: GithubTarget | null;
  registry: RegistryLogin | null;
  pypi: { testPypi: PypiDestination; pypi: PypiDestination };
  /** How this run signs; null with --skip-attestations or nothing to sign. */
  attest: AttestationSetup | null;
  /** --sigstore-trust-config: a private Sigstore instance (tests use a local one). */
  trustConfig: File | null;
  /** What destinations hand to the ones after them. */
  signed: SignedOutputs;
  report: ReleaseReport;
  /** This runtime's scratch directory for the release's files (removed at the end). */
  dir: string;
}

/** Facts one destination learns for the ones after it. */
export interface SignedOutputs {
  /** The pushed image index's digest (`sha256:<hex>`), once the image destination knows it. */
  imageDigest: string | null;
  /** Each distribution's PEP 740 attestation (JSON text), made before the PyPI uploads. */
  pep740: Map<string, string>;
}

/** What the destinations publish: the files, the image's variants and the staged record. */
export interface ReleaseArtifacts {
  files: ReleaseFiles;
  /** Built from this run's binaries, or rebuilt from the staged archives when needed. */
  images: Container[] | "from staged archives";
  /** The record of the release (null when nothing is staged: --skip-github). */
  manifest: ReleaseManifest | null;
  /** The manifest as written in this runtime, ready to upload. */
  manifestPath: string | null;
}

function githubTarget(
  plan: ReleasePlan,
  flags: PublishFlags,
  options: PublishOptions,
): GithubTarget | null {
  if (flags.skipGithub || !plan.repository || !options.githubToken) return null;
  const token = options.githubToken;
  return {
    apiUrl: options.githubApiUrl ?? "https://api.github.com",
    token: () => token.plaintext(),
    owner: plan.repository.owner,
    repo: plan.repository.name,
    tag: plan.tag,
  };
}

function registryLogin(plan: ReleasePlan, options: PublishOptions): RegistryLogin | null {
  if (!plan.image || !plan.repository || !options.registryPassword) return null;
  return {
    registry: plan.image.registry,
    username: options.registryUsername ?? plan.repository.owner,
    password: options.registryPassword,
  };
}

/** Refuses, before any work, a run that could not reach a destination it is asked to publish to. */
function requireCredentials(
  run: Omit<ReleaseRun, "mode" | "report" | "dir" | "attest" | "signed" | "trustConfig">,
) {
  const { plan } = run.ctx;
  const { flags } = run;
  const needsRepository = !flags.skipGithub || !flags.skipImage;
  if (needsRepository && !plan.repository) {
    throw new PlanError(
      "--repository owner/name is needed for the GitHub Release and the image " +
        "(GITHUB_REPOSITORY in Actions), or pass --skip-github and --skip-image",
    );
  }
  const staging = !flags.skipGithub && !flags.dryRun;
  if ((!flags.skipImage || staging) && !plan.commit) {
    throw new PlanError(
      "--sha is needed for the image's sha-<7> tag and revision label and for the staged " +
        "release's record (GITHUB_SHA in Actions), or pass --skip-image and --skip-github",
    );
  }
  if (flags.dryRun) return;
  if (!flags.skipGithub && !run.github) {
    throw new PlanError(
      "publishing the GitHub Release needs --github-token env://GITHUB_TOKEN (the workflow " +
        "needs `permissions: contents: write`), or pass --skip-github",
    );
  }
  if (!flags.skipImage && plan.image && !run.registry) {
    throw new PlanError(
      "pushing the image needs --registry-password env://GITHUB_TOKEN (the workflow needs " +
        "`permissions: packages: write`), or pass --skip-image",
    );
  }
  if (plan.python && !flags.skipPypi) {
    if (!flags.skipTestPypi) requireUpload(run.pypi.testPypi);
    requireUpload(run.pypi.pypi);
  }
}

/**
 * GitHub's view of the tag: the commit it names, and whether an earlier run staged this
 * release (then this one resumes it) or another one (refused).
 */
async function githubMode(
  github: GithubTarget,
  plan: ReleasePlan,
  flags: PublishFlags,
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
  if (flags.rebuild) {
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
 * Whether the run publishes anything it signs: the staged release (SLSA provenance), the image
 * (its signature), or distributions uploaded with trusted publishing (PEP 740; PyPI takes no
 * attestation with an API token).
 */
function somethingToSign(
  plan: ReleasePlan,
  flags: PublishFlags,
  pypi: ReleaseRun["pypi"],
): boolean {
  const indexes = flags.skipTestPypi ? [pypi.pypi] : [pypi.testPypi, pypi.pypi];
  const trusted = indexes.some((d) => d.upload === null || d.upload.kind === "trusted publishing");
  return (
    (!flags.skipGithub && plan.github !== null) ||
    (!flags.skipImage && plan.image !== null) ||
    (!flags.skipPypi && plan.python !== null && trusted)
  );
}

/**
 * Everything that can be known before compiling: each destination's credentials and, when
 * publishing to GitHub, the tag's commit and whether its release was already staged. Fails
 * with the flag to fix.
 */
export async function preflight(
  ctx: RunContext,
  options: PublishOptions,
  report: ReleaseReport,
  dir: string,
): Promise<ReleaseRun> {
  const { plan } = ctx;
  const flags: PublishFlags = { ...options };
  const run = {
    ctx,
    flags,
    github: githubTarget(plan, flags, options),
    registry: registryLogin(plan, options),
    pypi: pypiDestinations(options, options),
  };
  requireCredentials(run);
  const attest = await attestationSetup(
    somethingToSign(plan, flags, run.pypi),
    flags.dryRun ?? false,
    options,
  );
  const mode: ReleaseMode =
    run.github && !flags.dryRun
      ? await githubMode(run.github, plan, flags)
      : { kind: "build", staged: "none" };
  const trustConfig = options.sigstoreTrustConfig ?? null;
  return {
    ...run,
    attest,
    trustConfig,
    signed: { imageDigest: null, pep740: new Map() },
    mode,
    report,
    dir,
  };
}
