import { argument, type Directory, dag, func, object } from "@dagger.io/dagger";
import { findTarget, type Target, targetForPlatform } from "./plan/targets.js";
import { archiveDirectory, binariesDirectory, releaseArchives } from "./stages/binaries.js";
import { buildContext, planRelease, SOURCE_IGNORE } from "./stages/source.js";

/**
 * Releases a Rust CLI with PyO3 bindings from containers: cross-compiled binaries and archives,
 * a GitHub Release, maturin wheels for PyPI and a multi-arch image on ghcr.io.
 */
@object()
export class RustRelease {
  source: Directory;
  // Never null: the SDK cannot serialise a null field of the object's state.
  sourceDateEpoch?: number;

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
  ) {
    this.source = source;
    this.sourceDateEpoch = sourceDateEpoch;
  }

  private context(tag?: string) {
    return buildContext(this.source, {
      tag: tag ?? null,
      sourceDateEpoch: this.sourceDateEpoch ?? null,
    });
  }

  /** The target for --target, or the engine host's Linux target. */
  private async target(triple?: string): Promise<Target> {
    if (triple) return findTarget(triple);
    const platform = await dag.defaultPlatform();
    return targetForPlatform(platform.split("/").slice(0, 2).join("/"));
  }

  /**
   * Prints what releasing a tag will do, as JSON, before any build: `dagger call plan --tag v0.1.5`.
   */
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
  ): Promise<string> {
    const plan = await planRelease(this.source, {
      tag,
      commit: sha ?? null,
      repository: repository ?? null,
      imageName: imageName ?? null,
      latestOnRelease,
    });
    return JSON.stringify(plan, null, 2);
  }

  /**
   * Builds and checks one target's release binaries:
   * `dagger call build --target aarch64-unknown-linux-gnu export --path ./dist`.
   */
  @func()
  async build(
    /** A target triple (default: the engine host's Linux target, e.g. x86_64-unknown-linux-gnu). */
    target?: string,
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    const [ctx, resolved, native] = await Promise.all([
      this.context(tag),
      this.target(target),
      this.target(),
    ]);
    return binariesDirectory(ctx, resolved, resolved.triple === native.triple);
  }

  /**
   * Builds one target's .tar.gz (.zip for Windows) archive:
   * `dagger call archive --target x86_64-pc-windows-msvc export --path ./dist`.
   */
  @func()
  async archive(
    /** A target triple (default: the engine host's Linux target). */
    target?: string,
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    const [ctx, resolved] = await Promise.all([this.context(tag), this.target(target)]);
    return archiveDirectory(ctx, resolved);
  }

  /**
   * Builds all five targets concurrently into archives plus SHA256SUMS:
   * `dagger call release-archives --tag v0.1.5 export --path ./dist`.
   */
  @func()
  async releaseArchives(
    /** A release tag whose version is patched into the source first (default: Cargo.toml's). */
    tag?: string,
  ): Promise<Directory> {
    const [ctx, native] = await Promise.all([this.context(tag), this.target()]);
    return releaseArchives(ctx, native.triple);
  }
}
