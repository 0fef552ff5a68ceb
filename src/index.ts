import {
  argument,
  type Container,
  type Directory,
  type File,
  func,
  object,
  type Secret,
} from "@dagger.io/dagger";
import { flows, type ModuleFlags, type PlanFlags } from "./flows.js";
import { SOURCE_IGNORE } from "./source-ignore.js";

/**
 * Releases a Rust CLI with PyO3 bindings (or maturin "bin" wheels, or none) from containers:
 * cross-compiled binaries and archives, a GitHub Release, maturin wheels for PyPI and a
 * multi-arch image on ghcr.io.
 */
@object()
export class RustRelease {
  source: Directory;
  // Never null: the SDK cannot serialise a null field of the object's state.
  sourceDateEpoch?: number;
  cargoPackage?: string;
  targets?: string[];
  pythonProject?: string;
  compileCache?: Secret;
  actionsResultsUrl?: Secret;
  actionsRuntimeToken?: Secret;

  constructor(
    /**
     * The project to release: a Cargo package (or workspace) with a committed Cargo.lock.
     * Defaults to the sample project in example/.
     */
    @argument({ defaultPath: "/example", ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Unix time stamped on archive entries and image metadata, e.g. the commit's
     * (`git log -1 --format=%ct`). Default: 1980-01-01, so builds are reproducible either way.
     */
    sourceDateEpoch?: number,
    /**
     * The Cargo package to release, when the source is a workspace: its binaries are built and
     * archived (cargo's --package; a flag named --package cannot be declared in TypeScript).
     * Default: the package pyproject.toml's maturin builds, else the root package, else the
     * only member with binaries.
     */
    cargoPackage?: string,
    /**
     * The targets to release, overriding `targets` in Cargo.toml's [package.metadata.rust-release],
     * e.g. --targets x86_64-unknown-linux-gnu,x86_64-unknown-linux-musl. Default: that list, else
     * x86_64 and aarch64 Linux (glibc), x86_64 and aarch64 macOS, x86_64 Windows.
     */
    targets?: string[],
    /**
     * The directory (relative to the source) of the pyproject.toml maturin builds, e.g. pypi.
     * Default: the root's, else the only maturin pyproject.toml below the root.
     */
    pythonProject?: string,
    /**
     * A compile cache that outlives the engine (sccache), e.g. env://COMPILE_CACHE holding gha,
     * s3://bucket/prefix, redis://host:port or webdav+https://host/path. A Secret: it may hold
     * credentials. Unreachable = a warning, and the build goes on without it.
     */
    compileCache?: Secret,
    /** For --compile-cache gha: env://ACTIONS_RESULTS_URL (exported by a workflow step). */
    actionsResultsUrl?: Secret,
    /** For --compile-cache gha: env://ACTIONS_RUNTIME_TOKEN (exported by a workflow step). */
    actionsRuntimeToken?: Secret,
  ) {
    this.source = source;
    this.sourceDateEpoch = sourceDateEpoch;
    this.cargoPackage = cargoPackage;
    this.targets = targets;
    this.pythonProject = pythonProject;
    this.compileCache = compileCache;
    this.actionsResultsUrl = actionsResultsUrl;
    this.actionsRuntimeToken = actionsRuntimeToken;
  }

  /** Prints what releasing a tag will do, as JSON, before any build: `dagger call plan --tag v0.1.5`. */
  @func()
  async plan(
    /** The release tag, vMAJOR.MINOR.PATCH with an optional prerelease (v1.2.3-rc.1). */
    tag: string,
    /** The commit being released (GITHUB_SHA): gives the image's sha-<7> tag. */
    sha?: string,
    /** The GitHub repository, owner/name (GITHUB_REPOSITORY): names the release and the image. */
    repository?: string,
    /** The image name under ghcr.io/<owner>/ (default: the repository name). */
    imageName?: string,
    /** Also move the image's `latest` tag on a stable release (default: only main moves it). */
    latestOnRelease = false,
    /** The registry host the image goes to, e.g. ghcr.io or 127.0.0.1:5000. */
    registry = "ghcr.io",
  ): Promise<string> {
    return (await flows()).planJson(this.source, {
      tag,
      commit: sha,
      repository,
      imageName,
      registry,
      latestOnRelease,
      ...this.planFlags(),
    });
  }

  /** The source as a release of the tag builds it, version patched: `dagger call source --tag v0.1.5 export --path ./patched`. */
  @func({ alias: "source" })
  async patchedSource(
    /** The release tag whose version is patched in, vMAJOR.MINOR.PATCH (v1.2.3-rc.1). */
    tag: string,
  ): Promise<Directory> {
    return (await flows()).patchedSource(this.source, { tag, ...this.planFlags() });
  }

  /** Builds and checks one target's binaries: `dagger call build --target aarch64-unknown-linux-gnu export --path ./dist`. */
  @func()
  async build(
    /** Any target triple, chosen or not (default: the release's target for the engine's platform, e.g. x86_64-unknown-linux-gnu). */
    target?: string,
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    return (await flows()).buildBinaries(this.source, { ...this.flags(), target, tag });
  }

  /** Builds one target's .tar.gz (.zip for Windows): `dagger call archive --target x86_64-pc-windows-msvc export --path ./dist`. */
  @func()
  async archive(
    /** Any target triple, chosen or not (default: the release's target for the engine's platform). */
    target?: string,
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    return (await flows()).buildArchive(this.source, { ...this.flags(), target, tag });
  }

  /** Builds every target of the release concurrently into archives plus SHA256SUMS: `dagger call release-archives --tag v0.1.5 export --path ./dist`. */
  @func()
  async releaseArchives(
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    return (await flows()).buildReleaseArchives(this.source, { ...this.flags(), tag });
  }

  /** The release image for one platform: `dagger call image --platform linux/arm64 as-tarball export --path image.tar`. */
  @func()
  async image(
    /** One of the image's platforms, e.g. linux/arm64 (default: the engine's platform). */
    platform?: string,
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
    /** The commit being built: the image's revision label. */
    sha?: string,
    /** The GitHub repository, owner/name: the image's source label. */
    repository?: string,
  ): Promise<Container> {
    return (await flows()).singleImage(this.source, {
      ...this.flags(),
      platform,
      tag,
      commit: sha,
      repository,
    });
  }

  /** Pushes the multi-arch image and returns the pushed references: `dagger call publish-image --repository o/n --sha $GITHUB_SHA --registry-password env://GITHUB_TOKEN`. */
  @func({ cache: "never" })
  async publishImage(
    /** The GitHub repository, owner/name: the image is ghcr.io/<owner>/<name>. */
    repository: string,
    /** The commit being published (GITHUB_SHA): the sha-<7> tag and the revision label. */
    sha: string,
    /** A release tag (vX.Y.Z): tags vX.Y.Z, vX.Y, vX; a prerelease only its own version. */
    tag?: string,
    /** Registry password, e.g. env://GITHUB_TOKEN (needs `permissions: packages: write`). */
    registryPassword?: Secret,
    /** Registry user (default: the repository owner). */
    registryUsername?: string,
    /** The image name under <registry>/<owner>/ (default: the repository name). */
    imageName?: string,
    /** Also move `latest` on a stable release (default: only main-branch builds move it). */
    latestOnRelease = false,
    /** Build and check everything, print what would be pushed, push nothing. */
    dryRun = false,
    /** The registry host the image goes to, e.g. ghcr.io or 127.0.0.1:5000. */
    registry = "ghcr.io",
  ): Promise<string[]> {
    return (await flows()).publishImages(this.source, {
      ...this.flags(),
      repository,
      commit: sha,
      tag,
      registryPassword,
      registryUsername,
      imageName,
      latestOnRelease,
      dryRun,
      registry,
    });
  }

  /** Builds and checks the wheel of one target, or of all: `dagger call wheels --target aarch64-apple-darwin export --path ./dist`. */
  @func()
  async wheels(
    /** Any target triple, chosen or not (default: every target of the release). */
    target?: string,
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    return (await flows()).buildPython(
      this.source,
      { ...this.flags(), target, tag },
      { wheels: true, sdist: false },
    );
  }

  /** Builds and checks the source distribution: `dagger call sdist export --path ./dist`. */
  @func()
  async sdist(
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    return (await flows()).buildPython(
      this.source,
      { ...this.flags(), tag },
      { wheels: false, sdist: true },
    );
  }

  /** Every wheel and the sdist, checked together with a clean install: `dagger call python-dist --tag v0.1.5 export --path ./dist`. */
  @func()
  async pythonDist(
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    return (await flows()).buildPython(
      this.source,
      { ...this.flags(), tag },
      { wheels: true, sdist: true },
    );
  }

  /** Builds, checks and publishes the wheels and sdist to TestPyPI, then PyPI: `dagger call publish-python --tag v0.1.5 --dry-run`. */
  @func({ cache: "never" })
  async publishPython(
    /** The release tag (vX.Y.Z); the PEP 440 version comes from it. */
    tag: string,
    /** Trusted publishing: env://ACTIONS_ID_TOKEN_REQUEST_URL (needs `id-token: write`). */
    oidcRequestUrl?: Secret,
    /** Trusted publishing: env://ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
    oidcRequestToken?: Secret,
    /** A TestPyPI API token, instead of trusted publishing. */
    testPypiToken?: Secret,
    /** A PyPI API token, instead of trusted publishing. */
    pypiToken?: Secret,
    /** Publish to PyPI only. */
    skipTestPypi = false,
    /** Build and check everything, list what would be uploaded where, upload nothing. */
    dryRun = false,
    /** Another PyPI-compatible index root instead of https://pypi.org (e.g. a private index). */
    pypiUrl?: string,
    /** Another index root instead of https://test.pypi.org. */
    testPypiUrl?: string,
    /** Upload without PEP 740 attestations (forks, private indexes): reported as skipped. */
    skipAttestations = false,
    /** A private Sigstore instance's ClientTrustConfig JSON (default: sigstore.dev). */
    sigstoreTrustConfig?: File,
  ): Promise<string> {
    return (await flows()).publishPython(this.source, {
      skipAttestations,
      sigstoreTrustConfig,
      ...this.flags(),
      tag,
      oidcRequestUrl,
      oidcRequestToken,
      testPypiToken,
      pypiToken,
      skipTestPypi,
      dryRun,
      pypiUrl,
      testPypiUrl,
    });
  }

  /** Releases a tag: build or resume, stage, publish image, TestPyPI, PyPI, then the release: `dagger call release --tag v0.1.5 --dry-run`. */
  @func({ cache: "never" })
  async release(
    /** The release tag, vMAJOR.MINOR.PATCH with an optional prerelease. */
    tag: string,
    /** The commit the tag names (GITHUB_SHA): checked against the tag, tags the image. */
    sha?: string,
    /** owner/name on GitHub (GITHUB_REPOSITORY); default: Cargo.toml's github.com repository. */
    repository?: string,
    /** GitHub token for the release, e.g. env://GITHUB_TOKEN (needs `contents: write`). */
    githubToken?: Secret,
    /** ghcr.io password, e.g. env://GITHUB_TOKEN (needs `packages: write`). */
    registryPassword?: Secret,
    /** ghcr.io user (default: the repository owner). */
    registryUsername?: string,
    /** Trusted publishing: env://ACTIONS_ID_TOKEN_REQUEST_URL (needs `id-token: write`). */
    oidcRequestUrl?: Secret,
    /** Trusted publishing: env://ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
    oidcRequestToken?: Secret,
    /** A TestPyPI API token, instead of trusted publishing. */
    testPypiToken?: Secret,
    /** A PyPI API token, instead of trusted publishing. */
    pypiToken?: Secret,
    /** Do not publish a GitHub Release. */
    skipGithub = false,
    /** Do not push the image. */
    skipImage = false,
    /** Publish to neither TestPyPI nor PyPI. */
    skipPypi = false,
    /** Publish to PyPI without TestPyPI first. */
    skipTestPypi = false,
    /** Replace staged or published files whose content differs from this build (default: refuse). */
    replaceChangedAssets = false,
    /** The image name under ghcr.io/<owner>/ (default: the repository name). */
    imageName?: string,
    /** Also move the image's `latest` tag (default: only main-branch builds move it). */
    latestOnRelease = false,
    /** GitHub's REST API root (GitHub Enterprise Server: https://HOST/api/v3). */
    githubApiUrl = "https://api.github.com",
    /** Another PyPI-compatible index root instead of https://pypi.org. */
    pypiUrl?: string,
    /** Another index root instead of https://test.pypi.org. */
    testPypiUrl?: string,
    /** Preflight and build everything, then say what would be published; publish nothing. */
    dryRun = false,
    /** The registry host the image goes to, e.g. ghcr.io or 127.0.0.1:5000. */
    registry = "ghcr.io",
    /** Build and stage anew even when the tag's release already holds this run's staged files. */
    rebuild = false,
    /** Sign nothing (no provenance, PEP 740 or image signature): forks, private indexes. */
    skipAttestations = false,
    /** A private Sigstore instance's ClientTrustConfig JSON (default: sigstore.dev). */
    sigstoreTrustConfig?: File,
    /** The report as text, or as markdown for a GitHub job summary. */
    reportFormat = "text",
  ): Promise<string> {
    return (await flows()).release(this.source, {
      skipAttestations,
      sigstoreTrustConfig,
      ...this.flags(),
      tag,
      commit: sha,
      repository,
      githubToken,
      registryPassword,
      registryUsername,
      oidcRequestUrl,
      oidcRequestToken,
      testPypiToken,
      pypiToken,
      skipGithub,
      skipImage,
      skipPypi,
      skipTestPypi,
      replaceChangedAssets,
      imageName,
      latestOnRelease,
      githubApiUrl,
      pypiUrl,
      testPypiUrl,
      dryRun,
      registry,
      rebuild,
      reportFormat,
    });
  }

  /** Checks a published release end to end and prints what held: `dagger call verify --tag v0.1.5 --repository owner/name`. */
  @func({ cache: "never" })
  async verify(
    /** The release tag. */
    tag: string,
    /** owner/name on GitHub: the release, and the workflow that must have signed everything. */
    repository: string,
    /** A GitHub token (a draft needs one; a public release reads without, rate-limited). */
    githubToken?: Secret,
    /** GitHub's REST API root (GitHub Enterprise Server: https://HOST/api/v3). */
    githubApiUrl = "https://api.github.com",
    /** Registry user, for a private image (default: the repository owner). */
    registryUsername?: string,
    /** Registry password, for a private image. */
    registryPassword?: Secret,
    /** Another PyPI-compatible index root instead of https://pypi.org. */
    pypiUrl?: string,
    /** Also check the provenance on this index (e.g. https://test.pypi.org). */
    testPypiUrl?: string,
    /** A private Sigstore instance's ClientTrustConfig JSON (default: sigstore.dev). */
    sigstoreTrustConfig?: File,
  ): Promise<string> {
    return (await flows()).verifyRelease({
      tag,
      repository,
      githubToken,
      githubApiUrl,
      registryUsername,
      registryPassword,
      pypiUrl,
      testPypiUrl,
      sigstoreTrustConfig,
    });
  }

  /** The module-level flags every call passes on. */
  private planFlags(): PlanFlags {
    return {
      cargoPackage: this.cargoPackage,
      targets: this.targets,
      pythonProject: this.pythonProject,
    };
  }

  private flags(): ModuleFlags {
    return {
      ...this.planFlags(),
      sourceDateEpoch: this.sourceDateEpoch,
      compileCache: this.compileCache,
      actionsResultsUrl: this.actionsResultsUrl,
      actionsRuntimeToken: this.actionsRuntimeToken,
    };
  }
}
