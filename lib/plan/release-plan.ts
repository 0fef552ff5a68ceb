import { type BinaryManifests, binaryBuildManifests } from "./binary-manifests.js";
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
import type { RequirementChange } from "./requirements.js";
import type { Target } from "./target.js";
import { chooseTargets, selectTargets, type TargetSelection } from "./target-selection.js";
import { type ImageVariant, imageVariants } from "./targets.js";
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
  /** `--python-project`: the directory of the pyproject.toml maturin builds (see locatePythonProject). */
  pythonProject?: string | null;
  /**
   * A dry run: a missing commit or repository is filled with a marked placeholder (listed in
   * `placeholders`) instead of leaving the image or the release unplanned.
   */
  dryRun?: boolean;
  /** `--targets`: the release's targets, instead of the project's `targets` setting. */
  targets?: readonly string[] | null;
  /** Only this target triple (`build --target`, `wheels --target`), chosen or not. */
  target?: string | null;
  /** Only the target the image uses for this container platform (`image --platform`). */
  platform?: string | null;
  /**
   * The engine's platform, for a call that builds one target (`build`, `archive`, `image`)
   * and was given neither --target nor --platform: the target the image uses for it.
   */
  nativePlatform?: string | null;
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

/**
 * What a TargetPlan adds to its table row: the release's names, not facts of the build (a
 * compile cache's key leaves them out, so that renaming a release does not miss the cache).
 */
export const TARGET_PLAN_NAMES: readonly (keyof Omit<TargetPlan, keyof Target>)[] = [
  "binaries",
  "archive",
  "sbom",
  "wheel",
];

export interface ImagePlan {
  registry: string;
  /** `<registry>/<owner>/<name>`, lowercased. */
  repository: string;
  tags: string[];
  references: string[];
  /**
   * One image per container platform, from the binaries of the target named, on the base
   * they need (`static`: the statically linked musl binary, preferred when chosen; `cc`: glibc).
   */
  variants: ImageVariant[];
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
  project: Omit<ProjectManifest, "python" | "versionedPackages" | "version" | "releaseMetadata"> & {
    currentVersion: string;
  };
  /** How the tag's version goes into the source; null when the build keeps Cargo.toml's. */
  versionPatch: {
    from: string;
    to: string;
    /** A static pyproject.toml version, patched to the tag's PEP 440 spelling. */
    pyproject: { file: string; from: string; to: string } | null;
    /** Requirements on the patched packages, rewritten to accept the new version. */
    requirements: RequirementChange[];
    files: string[];
  } | null;
  /**
   * Where the release's targets were chosen: `--targets`, the project's `targets` setting
   * (`Cargo.toml [package.metadata.rust-release] targets`) or `the default`.
   */
  targetSource: string;
  /** What this call builds: the release's targets, or the one --target/--platform names. */
  targets: TargetPlan[];
  checksums: { file: string; covers: string[] };
  python: PythonPlan | null;
  /** Why there is no Python release, when `python` is null. */
  noPython: string | null;
  image: ImagePlan | null;
  /** Why the release has no image, when it has none. */
  noImage: string | null;
  /** Values a dry run made up because they were not given; empty for a real release. */
  placeholders: string[];
  github: GithubPlan | null;
}

/** The plan and, beside it, the manifests' new texts that carry the tag's version. */
export interface PreparedRelease {
  plan: ReleasePlan;
  /** Path (relative to the source root) -> patched text; empty for a build without a tag. */
  patchedFiles: PatchedFiles;
  /** Manifests the binaries' build reads instead (plan/binary-manifests.ts); often empty. */
  binaryManifests: BinaryManifests;
}

/** Why a release of these targets has no image (null: it has one). */
function noImageReason(
  repository: Repository | null,
  targets: readonly Target[],
  source: string,
): string | null {
  if (imageVariants(targets).length > 0) {
    return repository ? null : "no repository: pass --repository owner/name";
  }
  const linux = targets.filter((t) => t.os === "linux");
  const triples = targets.map((t) => t.triple).join(", ");
  if (linux.length === 0) {
    return `no Linux target among the release's targets (${triples}, from ${source})`;
  }
  const platforms = linux.map((t) => `${t.platform} (${t.triple})`).join(", ");
  return `no base image is pinned for the platform of its Linux targets: ${platforms}`;
}

function imagePlan(
  repository: Repository | null,
  version: ReleaseVersion,
  request: PlanRequest,
  commit: Commit | null,
  targets: readonly TargetPlan[],
): ImagePlan | null {
  const variants = imageVariants(targets);
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
  python: Pick<PythonPlan, "distName" | "version" | "wheelTags"> | null,
  selection: TargetSelection,
): TargetPlan[] {
  return selection.targets.map((t) => {
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
export async function prepareRelease(
  files: ProjectFiles,
  request: PlanRequest,
): Promise<PreparedRelease> {
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
  const choice = chooseTargets(request.targets, manifest.releaseMetadata.targets);
  const selection = selectTargets(choice, request);
  const python = planPython(manifest, version, selection, files.pyproject);
  const targets = targetPlans(manifest, python, selection);
  // What the GitHub Release holds besides the manifest, and SHA256SUMS covers: each archive and
  // the SBOM beside it.
  const releaseFiles = targets.flatMap((t) => [t.archive, t.sbom]);
  const {
    python: _python,
    versionedPackages: _versioned,
    version: current,
    releaseMetadata: _metadata,
    ...project
  } = manifest;
  const patch = request.tag ? await patchVersion(files, manifest, version) : null;
  const staticPythonVersion = manifest.python?.staticVersion ?? null;

  const plan: ReleasePlan = {
    tag: version.tag,
    version,
    tagged: Boolean(request.tag),
    commit,
    repository,
    project: { ...project, currentVersion: current },
    versionPatch: patch && {
      from: current,
      to: version.cargo,
      pyproject:
        staticPythonVersion === null || files.pyproject === null
          ? null
          : { file: files.pyproject.file, from: staticPythonVersion, to: version.pep440 },
      requirements: patch.requirements,
      files: Object.keys(patch.files),
    },
    targetSource: choice.source,
    targets,
    checksums: { file: CHECKSUM_FILE, covers: [...releaseFiles].sort() },
    python: python && { ...python, wheels: targets.flatMap((t) => (t.wheel ? [t.wheel] : [])) },
    noPython: python ? null : (files.noPythonReason ?? "the pyproject.toml describes no package"),
    image: imagePlan(repository, version, request, commit, targets),
    noImage: noImageReason(repository, targets, choice.source),
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
  const patchedFiles = patch?.files ?? {};
  const manifests: Record<string, string> = { "Cargo.toml": files.cargoToml };
  for (const [dir, text] of Object.entries(files.members)) manifests[`${dir}/Cargo.toml`] = text;
  for (const path of Object.keys(manifests))
    manifests[path] = patchedFiles[path] ?? manifests[path] ?? "";
  return { plan, patchedFiles, binaryManifests: await binaryBuildManifests(manifests) };
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
  const files = await loadProjectFiles(reader, { pythonProject: request.pythonProject ?? null });
  return prepareRelease(files, request);
}
