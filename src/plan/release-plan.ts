import { PlanError } from "./errors.js";
import {
  type Commit,
  DEFAULT_REGISTRY,
  githubRepositoryOf,
  imageRepository,
  imageTags,
  parseCommitSha,
  parseRegistry,
  parseRepository,
  type Repository,
} from "./image-tags.js";
import { type ProjectManifest, readManifest } from "./manifest.js";
import { archiveName, CHECKSUM_FILE, sbomName, targetBinaries, wheelName } from "./names.js";
import { type PatchedFiles, patchVersion } from "./patch.js";
import { loadProjectFiles, type ProjectFiles, type SourceReader } from "./project-files.js";
import { type PythonPlan, planPython } from "./python-plan.js";
import type { Target } from "./target.js";
import { selectTargets } from "./targets.js";
import { parseTag, type ReleaseVersion, untaggedVersion } from "./version.js";

/** What a call asks of the plan, besides the project's own files. */
export interface PlanRequest {
  /** The release tag; without one the build carries Cargo.toml's version, unpatched. */
  tag?: string | null;
  /** The commit being released (GITHUB_SHA), when known. */
  commit?: string | null;
  /**
   * `owner/name` of the GitHub repository. Default: Cargo.toml's `repository`, when it is a
   * github.com URL.
   */
  repository?: string | null;
  /** Overrides the image name (default: the repository name). */
  imageName?: string | null;
  /** The image registry host (default: ghcr.io). */
  registry?: string | null;
  /** Whether a stable release also moves the image's `latest` tag (default: no). */
  latestOnRelease?: boolean;
  /** `--cargo-package`: the workspace package to release (see selectPackage). */
  cargoPackage?: string | null;
  /**
   * A dry run: a missing commit or repository is filled with a marked placeholder (listed in
   * `placeholders`) instead of leaving the image or the release unplanned.
   */
  dryRun?: boolean;
  /** Only this target triple (`build --target`, `wheels --target`). */
  target?: string | null;
  /** Only the Linux target of this container platform (`image --platform`). */
  platform?: string | null;
  /** The image is published from the main branch (`latest`, `sha-<7>`), not for a tag. */
  mainBranch?: boolean;
}

/** What a dry run shows where the commit is unknown: obviously not a real commit. */
export const PLACEHOLDER_COMMIT = "0".repeat(40);
/** What a dry run shows where the GitHub repository is unknown. */
export const PLACEHOLDER_REPOSITORY = "OWNER/REPOSITORY";

/** One target of the release: the table's facts about it and the names of its artifacts. */
export interface TargetPlan extends Target {
  /**
   * Each binary: its cargo name, its file name (in the archive, the image and a bin wheel) and
   * cargo's output path under the target directory.
   */
  binaries: { name: string; file: string; path: string }[];
  archive: string;
  /** The CycloneDX SBOM of the archive's binaries, made from the dependency lists they carry. */
  sbom: string;
  wheel: string | null;
}

export interface ImagePlan {
  registry: string;
  /** `<registry>/<owner>/<name>`, lowercased. */
  repository: string;
  tags: string[];
  references: string[];
  /** One image per container platform, from the binaries of the target named. */
  variants: { platform: string; target: string }[];
  platforms: string[];
}

export interface GithubPlan {
  releaseName: string;
  prerelease: boolean;
  /** `make_latest` as the GitHub API takes it: a prerelease never becomes latest. */
  makeLatest: "true" | "false";
  assets: string[];
}

/** Everything a release of one tag will do, decided before any work: plain JSON data. */
export interface ReleasePlan {
  /** The tag; for a build without --tag, `v` and Cargo.toml's version. */
  tag: string;
  version: ReleaseVersion;
  /** Whether the version came from --tag (and is patched into the source) or is Cargo.toml's. */
  tagged: boolean;
  commit: Commit | null;
  repository: Repository | null;
  project: Omit<ProjectManifest, "python" | "versionedPackages" | "version"> & {
    currentVersion: string;
  };
  /** How the tag's version goes into the source; null when the build keeps Cargo.toml's. */
  versionPatch: {
    from: string;
    to: string;
    /** A static pyproject.toml version, patched to the tag's PEP 440 spelling. */
    pyproject: { from: string; to: string } | null;
    files: string[];
  } | null;
  targets: TargetPlan[];
  checksums: { file: string; covers: string[] };
  python: PythonPlan | null;
  image: ImagePlan | null;
  /** Values a dry run made up because they were not given; empty for a real release. */
  placeholders: string[];
  github: GithubPlan | null;
}

/** The plan and, beside it, the manifests' new texts that carry the tag's version. */
export interface PreparedRelease {
  plan: ReleasePlan;
  /** Path (relative to the source root) -> patched text; empty for a build without a tag. */
  patchedFiles: PatchedFiles;
}

function imagePlan(
  repository: Repository | null,
  version: ReleaseVersion,
  request: PlanRequest,
  commit: Commit | null,
  targets: readonly TargetPlan[],
): ImagePlan | null {
  const variants = targets.flatMap((t) =>
    t.platform ? [{ platform: t.platform, target: t.triple }] : [],
  );
  if (!repository || variants.length === 0) return null;
  const registry = parseRegistry(request.registry ?? DEFAULT_REGISTRY);
  const image = imageRepository(repository, request.imageName, registry);
  const tags = imageTags(request.mainBranch ? { kind: "main" } : { kind: "release", version }, {
    shortSha: commit?.short ?? null,
    latestOnRelease: request.latestOnRelease ?? false,
  });
  return {
    registry,
    repository: image,
    tags,
    references: tags.map((t) => `${image}:${t}`),
    variants,
    platforms: variants.map((v) => v.platform),
  };
}

function targetPlans(
  manifest: ProjectManifest,
  python: Omit<PythonPlan, "wheels"> | null,
  request: PlanRequest,
): TargetPlan[] {
  return selectTargets({ triple: request.target, platform: request.platform }).map((t) => {
    const archive = archiveName(manifest.primaryBin, t);
    return {
      ...t,
      binaries: targetBinaries(t, manifest.bins),
      archive,
      sbom: sbomName(archive),
      wheel: python ? wheelName(python.distName, python.version, python.wheelTags, t) : null,
    };
  });
}

/** The commit and repository, with a dry run's placeholders where they are missing. */
function identity(request: PlanRequest, manifest: ProjectManifest) {
  const placeholders: string[] = [];
  let commitSha = request.commit ?? null;
  if (commitSha === null && request.dryRun) {
    commitSha = PLACEHOLDER_COMMIT;
    placeholders.push(
      `commit ${PLACEHOLDER_COMMIT.slice(0, 7)}: no --sha was given; the image's sha tag and ` +
        "revision label use it (pass --sha, e.g. $(git rev-parse HEAD), to see the real ones)",
    );
  }
  let repositoryName = request.repository ?? githubRepositoryOf(manifest.repositoryUrl);
  if (repositoryName === null && request.dryRun) {
    repositoryName = PLACEHOLDER_REPOSITORY;
    placeholders.push(
      `repository ${PLACEHOLDER_REPOSITORY}: no --repository was given and Cargo.toml names no ` +
        "github.com repository; the release and the image are named after it",
    );
  }
  return {
    commit: commitSha ? parseCommitSha(commitSha) : null,
    repository: repositoryName ? parseRepository(repositoryName) : null,
    placeholders,
  };
}

/**
 * The plan for releasing (or building) the project: the tag is parsed here and only here, the
 * manifests are read once, and every name the stages use is decided.
 */
export function prepareRelease(files: ProjectFiles, request: PlanRequest): PreparedRelease {
  const manifest = readManifest(files, { cargoPackage: request.cargoPackage ?? null });
  const manifestFile =
    manifest.packageDir === "" ? "Cargo.toml" : `${manifest.packageDir}/Cargo.toml`;
  const version = request.tag
    ? parseTag(request.tag)
    : untaggedVersion(manifest.version, manifestFile);
  if (request.mainBranch && request.tag) {
    throw new PlanError("a main-branch image has no release tag: drop --tag or publish a release");
  }
  const { commit, repository, placeholders } = identity(request, manifest);
  const python = planPython(manifest, version);
  const targets = targetPlans(manifest, python, request);
  // What the GitHub Release holds besides the manifest, and SHA256SUMS covers: each archive and
  // the SBOM beside it.
  const releaseFiles = targets.flatMap((t) => [t.archive, t.sbom]);
  const { python: _python, versionedPackages: _versioned, version: current, ...project } = manifest;
  const patchedFiles = request.tag ? patchVersion(files, manifest, version) : {};
  const staticPythonVersion = manifest.python?.staticVersion ?? null;

  const plan: ReleasePlan = {
    tag: version.tag,
    version,
    tagged: Boolean(request.tag),
    commit,
    repository,
    project: { ...project, currentVersion: current },
    versionPatch: request.tag
      ? {
          from: current,
          to: version.cargo,
          pyproject:
            staticPythonVersion === null ? null : { from: staticPythonVersion, to: version.pep440 },
          files: Object.keys(patchedFiles),
        }
      : null,
    targets,
    checksums: { file: CHECKSUM_FILE, covers: [...releaseFiles].sort() },
    python: python && { ...python, wheels: targets.flatMap((t) => (t.wheel ? [t.wheel] : [])) },
    image: imagePlan(repository, version, request, commit, targets),
    placeholders,
    github: repository
      ? {
          releaseName: version.tag,
          prerelease: version.prerelease,
          makeLatest: version.prerelease ? "false" : "true",
          assets: [...releaseFiles, CHECKSUM_FILE].sort(),
        }
      : null,
  };
  return { plan, patchedFiles };
}

/** `owner/name`, as people write it. */
export function repositoryName(repository: Repository): string {
  return `${repository.owner}/${repository.name}`;
}

/** The plan's row for a target triple; asking for one the plan does not build is a bug. */
export function targetPlan(plan: ReleasePlan, triple: string): TargetPlan {
  const row = plan.targets.find((t) => t.triple === triple);
  if (!row) throw new Error(`the plan of ${plan.tag} builds no ${triple}`);
  return row;
}

/**
 * Reads the project through `reader`, each file once, and plans: what `dagger call` does
 * through the engine and `npm run plan` from disk.
 */
export async function readRelease(
  reader: SourceReader,
  request: PlanRequest,
): Promise<PreparedRelease> {
  return prepareRelease(await loadProjectFiles(reader), request);
}
