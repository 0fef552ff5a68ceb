import { argument, type Directory, func, object } from "@dagger.io/dagger";
import { planRelease } from "./stages/source.js";

/**
 * Releases a Rust CLI with PyO3 bindings from containers: cross-compiled binaries and archives,
 * a GitHub Release, maturin wheels for PyPI and a multi-arch image on ghcr.io.
 */
@object()
export class RustRelease {
  source: Directory;

  constructor(
    /**
     * The project to release: a Cargo package (or workspace) with a committed Cargo.lock.
     * Defaults to the sample project in example/.
     */
    @argument({
      defaultPath: "/example",
      ignore: ["**/target", "**/.git", "**/node_modules", "**/__pycache__", "**/.venv", "dist"],
    })
    source: Directory,
  ) {
    this.source = source;
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
}
