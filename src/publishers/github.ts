import type { Release, RemoteAsset } from "./github-api.js";
import { createGithubClient, type GithubClientOptions } from "./github-client.js";
import { GithubPublishError, type RepositoryRef, repositoryLabel } from "./github-errors.js";
import { tagCommit } from "./github-tags.js";
import { describeLocalAssets, type LocalAsset, type ReleaseAsset } from "./local-assets.js";
import {
  type AssetComparison,
  type AssetStatus,
  changedAssetsError,
  compareAssets,
  deleteAsset,
  type GithubSession,
  listAssets,
  uploadAsset,
} from "./release-assets.js";
import { createDraftRelease, findReleaseForTag, publishDraft } from "./release-records.js";

export { GithubPublishError } from "./github-errors.js";
export type { ReleaseAsset } from "./local-assets.js";
export type { AssetStatus } from "./release-assets.js";

/** Where the release lives and how to reach it. */
export interface GithubTarget extends GithubClientOptions, RepositoryRef {
  tag: string;
}

export interface GithubReleaseRequest extends GithubTarget {
  /** The commit the tag is created at (target_commitish) if it does not exist yet. */
  commit: string | null;
  name: string;
  prerelease: boolean;
  /** Ignored for prereleases, which never become "latest". */
  makeLatest: "true" | "false";
  assets: ReleaseAsset[];
  /** Delete and upload again assets whose content differs from the local file (else: refuse). */
  replaceChangedAssets: boolean;
}

export type ReleaseOutcome =
  /** A new draft was created, filled and published. */
  | "created"
  /** A draft left by an earlier run was completed and published. */
  | "resumed-draft"
  /** The published release already had every asset, identical: nothing was written. */
  | "already-published"
  /** The published (mutable) release got its missing or changed assets. */
  | "updated-published";

export interface PublishedAsset {
  name: string;
  status: AssetStatus;
  url: string;
  digest: string;
}

export interface GithubReleaseReport {
  tag: string;
  url: string;
  releaseId: number;
  release: ReleaseOutcome;
  assets: PublishedAsset[];
}

async function openSession(target: GithubTarget): Promise<GithubSession> {
  const warn = target.warn ?? ((message: string) => console.warn(message));
  const client = await createGithubClient({ ...target, warn });
  return { client, repository: { owner: target.owner, repo: target.repo }, warn };
}

function isPublishedImmutable(release: Release): boolean {
  return !release.draft && release.immutable === true;
}

function immutableReleaseError(
  release: Release,
  repository: RepositoryRef,
  blocked: readonly string[],
): GithubPublishError {
  return new GithubPublishError(
    `Release ${release.tag_name} on ${repositoryLabel(repository)} is published and ` +
      "immutable, so its assets cannot be added, replaced or deleted, but these need it: " +
      `${blocked.join(", ")}. ` +
      "Nothing was changed. Release the fix under a new tag (e.g. the next patch version).",
  );
}

/** Makes one release asset match the local file; conflicts were already refused or accepted. */
async function bringUpToDate(
  session: GithubSession,
  release: Release,
  comparison: AssetComparison,
  replaceChangedAssets: boolean,
): Promise<AssetStatus> {
  switch (comparison.kind) {
    case "identical":
      return "already-there";
    case "missing":
      return uploadAsset(session, release, comparison.local, replaceChangedAssets);
    case "incomplete":
      await deleteAsset(session, comparison.remote);
      return uploadAsset(session, release, comparison.local, replaceChangedAssets);
    case "different": {
      await deleteAsset(session, comparison.remote);
      const status = await uploadAsset(session, release, comparison.local, replaceChangedAssets);
      return status === "uploaded" ? "replaced" : status;
    }
  }
}

/** Re-reads the release's assets and checks each local file arrived whole. */
async function verifyAssets(
  session: GithubSession,
  release: Release,
  locals: readonly LocalAsset[],
): Promise<RemoteAsset[]> {
  const remotes = await listAssets(session, release);
  const verified: RemoteAsset[] = [];
  const problems: string[] = [];
  for (const local of locals) {
    const remote = remotes.find((candidate) => candidate.name === local.name);
    if (remote === undefined) problems.push(`${local.name} is missing`);
    else if (remote.state !== "uploaded")
      problems.push(`${local.name} is in state ${remote.state}`);
    else if (remote.size !== local.size) {
      problems.push(`${local.name} has ${remote.size} bytes instead of ${local.size}`);
    } else if (remote.digest !== null && remote.digest !== `sha256:${local.sha256}`) {
      problems.push(`${local.name} has digest ${remote.digest} instead of sha256:${local.sha256}`);
    } else verified.push(remote);
  }
  if (problems.length > 0) {
    const state = release.draft ? "left as a draft" : "published but incomplete";
    throw new GithubPublishError(
      `After uploading, release ${release.tag_name} does not hold the expected assets: ` +
        `${problems.join("; ")}. It was ${state}; re-run to complete it.`,
    );
  }
  return verified;
}

/**
 * Creates or completes the GitHub Release of a tag: a draft is filled, verified and only then
 * published, so that a failure at any point leaves something a re-run completes without
 * duplicates. Assets already on the release are compared by sha256 before anything is written.
 */
export async function publishGithubRelease(
  request: GithubReleaseRequest,
): Promise<GithubReleaseReport> {
  const locals = await describeLocalAssets(request.assets);
  const session = await openSession(request);
  const existing = await findReleaseForTag(session, request.tag);
  const release = existing ?? (await createDraftRelease(session, request));
  const comparisons = await compareAssets(session, locals, await listAssets(session, release));

  const needingWork = comparisons.filter((comparison) => comparison.kind !== "identical");
  if (isPublishedImmutable(release) && needingWork.length > 0) {
    const blocked = needingWork.map(({ kind, local }) => `${local.name} (${kind})`);
    throw immutableReleaseError(release, session.repository, blocked);
  }
  const different = comparisons.filter((comparison) => comparison.kind === "different");
  if (different.length > 0 && !request.replaceChangedAssets) {
    throw changedAssetsError(release, different);
  }

  const statuses = new Map<string, AssetStatus>();
  for (const comparison of comparisons) {
    const status = await bringUpToDate(session, release, comparison, request.replaceChangedAssets);
    statuses.set(comparison.local.name, status);
  }
  // A published release that needed nothing was just compared asset by asset.
  const verified =
    !release.draft && needingWork.length === 0
      ? comparisons.flatMap((comparison) => ("remote" in comparison ? [comparison.remote] : []))
      : await verifyAssets(session, release, locals);
  const published = release.draft ? await publishDraft(session, release, request) : release;
  if (published.draft) {
    throw new GithubPublishError(
      `GitHub still shows release ${release.tag_name} as a draft after publishing; re-run.`,
    );
  }

  // A draft's download URLs name an "untagged-..." placeholder; the published release's are final.
  const downloadUrl = (name: string) =>
    (published.assets.find((asset) => asset.name === name) ?? verified.find((a) => a.name === name))
      ?.browser_download_url ?? "";
  return {
    tag: request.tag,
    url: published.html_url,
    releaseId: published.id,
    release: outcome(existing, needingWork.length > 0),
    assets: locals.map((local) => ({
      name: local.name,
      status: statuses.get(local.name) ?? "already-there",
      url: downloadUrl(local.name),
      digest: `sha256:${local.sha256}`,
    })),
  };
}

function outcome(existing: Release | null, wroteAssets: boolean): ReleaseOutcome {
  if (existing === null) return "created";
  if (existing.draft) return "resumed-draft";
  return wroteAssets ? "updated-published" : "already-published";
}

export interface GithubReleaseQuery extends GithubTarget {
  /** The names of the assets the release will carry. */
  assetNames: string[];
}

export interface GithubReleaseInspection {
  tag: string;
  /** The commit the tag points at on GitHub; null when the tag is not there (yet). */
  tagCommit: string | null;
  release: "none" | "draft" | "published";
  releaseId: number | null;
  url: string | null;
  immutable: boolean;
  /** Intended assets already uploaded (their content is compared only when publishing). */
  presentAssets: string[];
  /** Intended assets absent, or left half-uploaded by a failed run. */
  missingAssets: string[];
  /** Why publishing this tag cannot succeed; empty when it can. */
  problems: string[];
}

/** Read-only preflight, before any build: can the release of this tag be created or completed? */
export async function inspectGithubRelease(
  query: GithubReleaseQuery,
): Promise<GithubReleaseInspection> {
  const session = await openSession(query);
  const [release, commit] = await Promise.all([
    findReleaseForTag(session, query.tag),
    tagCommit(session, query.tag),
  ]);
  if (release === null) {
    return {
      tag: query.tag,
      tagCommit: commit,
      release: "none",
      releaseId: null,
      url: null,
      immutable: false,
      presentAssets: [],
      missingAssets: [...query.assetNames],
      problems: [],
    };
  }
  const remotes = await listAssets(session, release);
  const uploaded = new Set(remotes.filter((a) => a.state === "uploaded").map((a) => a.name));
  const presentAssets = query.assetNames.filter((name) => uploaded.has(name));
  const missingAssets = query.assetNames.filter((name) => !uploaded.has(name));
  const problems =
    isPublishedImmutable(release) && missingAssets.length > 0
      ? [immutableReleaseError(release, session.repository, missingAssets).message]
      : [];
  return {
    tag: query.tag,
    tagCommit: commit,
    release: release.draft ? "draft" : "published",
    releaseId: release.id,
    url: release.html_url,
    immutable: release.immutable === true,
    presentAssets,
    missingAssets,
    problems,
  };
}
