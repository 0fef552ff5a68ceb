import { PlanError } from "./errors.js";
import type { ReleaseVersion } from "./version.js";

/** Where images go unless --registry says otherwise. */
export const DEFAULT_REGISTRY = "ghcr.io";

/**
 * A registry host, with an optional port (`ghcr.io`, `registry.example.com`, `127.0.0.1:5000`),
 * lowercased as image references require.
 */
export function parseRegistry(value: string): string {
  const registry = value.trim().toLowerCase();
  const host =
    /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;
  if (!host.test(registry)) {
    throw new PlanError(
      `invalid registry "${value}": expected a host with an optional port, like ghcr.io or 127.0.0.1:5000`,
    );
  }
  return registry;
}

/** `owner/name` of a GitHub repository. */
export interface Repository {
  owner: string;
  name: string;
}

/** Parses `owner/name`, naming the value when it is not one. */
export function parseRepository(value: string): Repository {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)$/.exec(value);
  if (!match?.[1] || !match[2]) {
    throw new PlanError(
      `invalid repository "${value}": expected owner/name, like octo-org/codex-usage`,
    );
  }
  return { owner: match[1], name: match[2] };
}

/** `owner/name` from a Cargo `repository = "https://github.com/owner/name"`, when it is one. */
export function githubRepositoryOf(url: string | null): string | null {
  const match = /^https:\/\/github\.com\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url ?? "");
  return match ? `${match[1]}/${match[2]}` : null;
}

/** A commit: its full id and the 7 digits images are tagged with. */
export interface Commit {
  sha: string;
  short: string;
}

/** A commit sha: 40 hex digits (what GITHUB_SHA holds); images are tagged with its first 7. */
export function parseCommitSha(value: string): Commit {
  if (!/^[0-9a-f]{40}$/i.test(value)) {
    throw new PlanError(`invalid commit sha "${value}": expected the full 40-hex-digit commit id`);
  }
  const sha = value.toLowerCase();
  return { sha, short: sha.slice(0, 7) };
}

/**
 * `<registry>/<owner>/<name>` (ghcr.io by default), lowercased: GitHub owners may have capitals,
 * image names may not.
 */
export function imageRepository(
  repository: Repository,
  name?: string | null,
  registry: string = DEFAULT_REGISTRY,
): string {
  const imageName = (name ?? repository.name).toLowerCase();
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(imageName)) {
    throw new PlanError(
      `invalid image name "${imageName}": use lowercase letters, digits and single . _ - separators`,
    );
  }
  return `${parseRegistry(registry)}/${repository.owner.toLowerCase()}/${imageName}`;
}

/** What the image is published for: a release tag, or a commit on the main branch. */
export type ImageChannel = { kind: "release"; version: ReleaseVersion } | { kind: "main" };

export interface ImageTagOptions {
  /** The commit the image is built from; gives the `sha-<7>` tag. */
  shortSha: string | null;
  /**
   * Whether a stable release also moves `latest`. Off by default: the release guide defines
   * `latest` as the main branch, and re-running an old release must never move `latest` back.
   */
  latestOnRelease: boolean;
}

/**
 * The tags the seed's metadata-action configuration gave, with `latest` made explicit:
 * main -> latest, sha-<7>; v1.2.3 -> v1.2.3, v1.2, v1, sha-<7>; v1.2.3-rc.1 -> v1.2.3-rc.1, sha-<7>.
 */
export function imageTags(channel: ImageChannel, options: ImageTagOptions): string[] {
  const sha = options.shortSha ? [`sha-${options.shortSha}`] : [];
  if (channel.kind === "main") {
    if (!options.shortSha) {
      throw new PlanError("a main-branch image needs the commit (--sha) for its sha-<7> tag");
    }
    return ["latest", ...sha];
  }
  const v = channel.version;
  if (v.prerelease) return [v.tag, ...sha];
  const latest = options.latestOnRelease ? ["latest"] : [];
  return [v.tag, `v${v.major}.${v.minor}`, `v${v.major}`, ...latest, ...sha];
}
