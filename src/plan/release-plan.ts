import { PlanError } from "./errors.js";
import {
  DEFAULT_REGISTRY,
  githubRepositoryOf,
  imageRepository,
  imageTags,
  parseCommitSha,
  parseRegistry,
  parseRepository,
  type Repository,
} from "./image-tags.js";
import {
  type ProjectFiles,
  type ProjectManifest,
  type PythonProject,
  readManifest,
} from "./manifest.js";
import {
  archiveName,
  binaryFileName,
  binaryOutputPath,
  CHECKSUM_FILE,
  sdistName,
  type WheelTags,
  wheelName,
} from "./names.js";
import { windowsWheelFeatures } from "./pyo3-windows.js";
import type { SupportedBindings } from "./python-project.js";
import { TARGETS, type Target } from "./targets.js";
import { parseTag, type ReleaseVersion } from "./version.js";

export interface PlanInput {
  files: ProjectFiles;
  tag: string;
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
}

/** What a dry run shows where the commit is unknown: obviously not a real commit. */
export const PLACEHOLDER_COMMIT = "0".repeat(40);
/** What a dry run shows where the GitHub repository is unknown. */
export const PLACEHOLDER_REPOSITORY = "OWNER/REPOSITORY";

export interface TargetPlan {
  triple: string;
  os: Target["os"];
  arch: Target["arch"];
  platform: Target["platform"];
  toolchain: Target["toolchain"];
  buildTarget: string;
  glibcFloor: string | null;
  /** Each binary: its name in the archive and cargo's output path under the target directory. */
  binaries: { file: string; path: string }[];
  archive: string;
  wheel: string | null;
}

/** Everything a release of one tag will do, decided before any work: plain JSON data. */
export interface ReleasePlan {
  tag: string;
  version: ReleaseVersion;
  commit: { sha: string; short: string } | null;
  repository: string | null;
  project: Omit<ProjectManifest, "python" | "versionedPackages" | "version"> & {
    currentVersion: string;
  };
  versionPatch: {
    from: string;
    to: string;
    /** A static pyproject.toml version, patched to the tag's PEP 440 spelling. */
    pyproject: { from: string; to: string } | null;
    files: string[];
  };
  targets: TargetPlan[];
  checksums: { file: string; covers: string[] };
  python: PythonPlan | null;
  image: {
    registry: string;
    repository: string;
    tags: string[];
    references: string[];
    platforms: string[];
  } | null;
  /** Values a dry run made up because they were not given; empty for a real release. */
  placeholders: string[];
  github: {
    repository: string;
    releaseName: string;
    prerelease: boolean;
    /** `make_latest` as the GitHub API takes it: a prerelease never becomes latest. */
    makeLatest: "true" | "false";
    assets: string[];
  } | null;
}

/** The binary the archives are named after: the one named like the package, else the first. */
export function primaryBinary(manifest: ProjectManifest): string {
  return manifest.bins.includes(manifest.packageName)
    ? manifest.packageName
    : (manifest.bins[0] ?? manifest.packageName);
}

/** The Python artifacts of a release. */
export interface PythonPlan {
  project: string;
  distName: string;
  version: string;
  bindings: SupportedBindings;
  wheelTags: WheelTags;
  features: string[];
  /** Added for the Windows wheel (pyo3's import library before 0.29). */
  windowsFeatures: string[];
  moduleName: string | null;
  pythonSource: string | null;
  /** The executables a bin wheel installs (every binary of the package); none for pyo3. */
  executables: string[];
  sdist: string;
  wheels: string[];
}

/** bin wheels hold an executable, for any Python 3; pyo3 ones an abi3 extension module. */
function wheelTags(manifest: ProjectManifest, python: PythonProject): WheelTags {
  if (python.bindings === "bin") return { python: "py3", abi: "none" };
  if (!python.abi3) {
    throw new PlanError(
      `the Python extension of "${manifest.packageName}" is not abi3: one wheel per platform needs ` +
        'pyo3\'s abi3 feature, e.g. pyo3 = ["dep:pyo3", "pyo3/extension-module", "pyo3/abi3-py38"]',
    );
  }
  return { python: python.abi3, abi: "abi3" };
}

/**
 * The Python artifacts of a release (null when the project has no maturin pyproject.toml),
 * refusing what cannot be published: a pyo3 extension that is not abi3.
 */
export function planPython(manifest: ProjectManifest, version: ReleaseVersion): PythonPlan | null {
  const python = manifest.python;
  if (!python) return null;
  const tags = wheelTags(manifest, python);
  return {
    project: python.name,
    distName: python.distName,
    version: version.pep440,
    bindings: python.bindings,
    wheelTags: tags,
    features: python.features,
    windowsFeatures: windowsWheelFeatures(python.pyo3),
    moduleName: python.moduleName,
    pythonSource: python.pythonSource,
    executables: python.bindings === "bin" ? manifest.bins : [],
    sdist: sdistName(python.distName, version.pep440),
    wheels: TARGETS.map((t) => wheelName(python.distName, version.pep440, tags, t)),
  };
}

function imagePlan(
  repository: Repository | null,
  version: ReleaseVersion,
  input: PlanInput,
  shortSha: string | null,
) {
  if (!repository) return null;
  const registry = parseRegistry(input.registry ?? DEFAULT_REGISTRY);
  const image = imageRepository(repository, input.imageName, registry);
  const tags = imageTags(
    { kind: "release", version },
    { shortSha, latestOnRelease: input.latestOnRelease ?? false },
  );
  return {
    registry,
    repository: image,
    tags,
    references: tags.map((t) => `${image}:${t}`),
    platforms: TARGETS.flatMap((t) => (t.platform ? [t.platform] : [])),
  };
}

/** Builds the plan for releasing `tag` from the given project files. */
export function buildReleasePlan(input: PlanInput): ReleasePlan {
  const version = parseTag(input.tag);
  const manifest = readManifest(input.files, { cargoPackage: input.cargoPackage ?? null });
  const placeholders: string[] = [];
  let commitSha = input.commit ?? null;
  if (commitSha === null && input.dryRun) {
    commitSha = PLACEHOLDER_COMMIT;
    placeholders.push(
      `commit ${PLACEHOLDER_COMMIT.slice(0, 7)}: no --sha was given; the image's sha tag and ` +
        "revision label use it (pass --sha, e.g. $(git rev-parse HEAD), to see the real ones)",
    );
  }
  const commit = commitSha ? parseCommitSha(commitSha) : null;
  let repositoryName = input.repository ?? githubRepositoryOf(manifest.repositoryUrl);
  if (repositoryName === null && input.dryRun) {
    repositoryName = PLACEHOLDER_REPOSITORY;
    placeholders.push(
      `repository ${PLACEHOLDER_REPOSITORY}: no --repository was given and Cargo.toml names no ` +
        "github.com repository; the release and the image are named after it",
    );
  }
  const repository = repositoryName ? parseRepository(repositoryName) : null;
  const python = planPython(manifest, version);
  const bin = primaryBinary(manifest);

  const targets = TARGETS.map((t) => ({
    triple: t.triple,
    os: t.os,
    arch: t.arch,
    platform: t.platform,
    toolchain: t.toolchain,
    buildTarget: t.buildTarget,
    glibcFloor: t.glibcFloor,
    binaries: manifest.bins.map((b) => ({
      file: binaryFileName(b, t),
      path: binaryOutputPath(b, t),
    })),
    archive: archiveName(bin, t),
    wheel: python ? wheelName(python.distName, python.version, python.wheelTags, t) : null,
  }));
  const archives = targets.map((t) => t.archive);
  const { python: _python, versionedPackages: _versioned, version: current, ...project } = manifest;
  const staticPythonVersion = manifest.python?.staticVersion ?? null;
  const patchFiles = [
    manifest.versionSource === "workspace" || manifest.packageDir === ""
      ? "Cargo.toml"
      : `${manifest.packageDir}/Cargo.toml`,
    "Cargo.lock",
    ...(staticPythonVersion === null ? [] : ["pyproject.toml"]),
  ];

  return {
    tag: version.tag,
    version,
    commit,
    repository: repository ? `${repository.owner}/${repository.name}` : null,
    project: { ...project, currentVersion: current },
    versionPatch: {
      from: current,
      to: version.cargo,
      pyproject:
        staticPythonVersion === null ? null : { from: staticPythonVersion, to: version.pep440 },
      files: patchFiles,
    },
    targets,
    checksums: { file: CHECKSUM_FILE, covers: [...archives].sort() },
    python,
    image: imagePlan(repository, version, input, commit?.short ?? null),
    placeholders,
    github: repository
      ? {
          repository: `${repository.owner}/${repository.name}`,
          releaseName: version.tag,
          prerelease: version.prerelease,
          makeLatest: version.prerelease ? "false" : "true",
          assets: [...archives, CHECKSUM_FILE].sort(),
        }
      : null,
  };
}
