import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AttestationBundle, Release, RemoteAsset, StoredAttestation } from "./api.js";
import { attestationsFor, recordAttestation } from "./attestations.js";
import { createGithubClient, type GithubClientOptions } from "./client.js";
import { GithubPublishError, type RepositoryRef, repositoryLabel } from "./errors.js";
import { describeLocalAssets, type LocalAsset, type ReleaseAsset } from "./local-assets.js";
import {
  type AssetComparison,
  type AssetStatus,
  changedAssetsError,
  compareAssets,
  deleteAsset,
  downloadAsset,
  type GithubSession,
  listAssets,
  uploadAsset,
} from "./release-assets.js";
import { createDraftRelease, findReleaseForTag, publishDraft } from "./release-records.js";
import { tagCommit } from "./tags.js";

export type { AttestationBundle, StoredAttestation } from "./api.js";
export { GithubPublishError } from "./errors.js";
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
  /** A new draft was created and filled. */
  | "created"
  /** A draft left by an earlier run was completed. */
  | "resumed-draft"
  /** A draft already held every asset, identical: nothing was written. */
  | "already-staged"
  /** The published release already had every asset, identical: nothing was written. */
  | "already-published"
  /** The published (mutable) release got its missing or changed assets. */
  | "updated-published";

/** How a staged draft is published. */
export interface PublishRequest {
  name: string;
  prerelease: boolean;
  /** Ignored for prereleases, which never become "latest". */
  makeLatest: "true" | "false";
}

export interface PublishedAsset {
  name: string;
  status: AssetStatus;
  url: string;
  digest: string;
}

// One client per token and repository for the whole release (inspect, stage, download,
// publish): the token is read once, and the throttling plugin paces every write together.
const sessions = new WeakMap<GithubClientOptions["token"], Map<string, Promise<GithubSession>>>();

function openSession(target: GithubTarget): Promise<GithubSession> {
  const byRepository = sessions.get(target.token) ?? new Map<string, Promise<GithubSession>>();
  sessions.set(target.token, byRepository);
  const key = `${target.apiUrl} ${target.owner}/${target.repo}`;
  const existing = byRepository.get(key);
  if (existing) return existing;
  const warn = target.warn ?? ((message: string) => console.warn(message));
  const session = createGithubClient({ ...target, warn }).then((client) => ({
    client,
    repository: { owner: target.owner, repo: target.repo },
    warn,
  }));
  byRepository.set(key, session);
  session.catch(() => byRepository.delete(key));
  return session;
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

/** What a release must hold once staged; the manifest goes last, as the sign staging finished. */
export interface StagingRequest extends GithubReleaseRequest {
  /** `release-manifest.json`; null stages the files alone. */
  manifest: ReleaseAsset | null;
}

export interface StagedRelease {
  tag: string;
  releaseId: number;
  /** The release's page (a draft's is only visible to maintainers). */
  url: string;
  draft: boolean;
  release: ReleaseOutcome;
  assets: PublishedAsset[];
}

function isStaged(remotes: readonly RemoteAsset[], manifest: LocalAsset | undefined): boolean {
  return (
    manifest !== undefined &&
    remotes.some((r) => r.name === manifest.name && r.state === "uploaded")
  );
}

/** Brings the release's copies of `locals` up to date, then checks each arrived whole. */
async function uploadAll(
  session: GithubSession,
  release: Release,
  comparisons: readonly AssetComparison[],
  replace: boolean,
  statuses: Map<string, AssetStatus>,
): Promise<RemoteAsset[]> {
  for (const comparison of comparisons) {
    statuses.set(comparison.local.name, await bringUpToDate(session, release, comparison, replace));
  }
  const unchanged = comparisons.every((c) => c.kind === "identical");
  // A release that needed nothing was just compared asset by asset.
  return unchanged
    ? comparisons.flatMap((comparison) => ("remote" in comparison ? [comparison.remote] : []))
    : verifyAssets(
        session,
        release,
        comparisons.map((c) => c.local),
      );
}

/**
 * Stages a release: finds the tag's release (draft or published) or creates a draft, and makes
 * it hold exactly these files, compared by sha256 before anything is written; the manifest is
 * uploaded last, once every file is verified, so a manifest on the release means the staging
 * finished. Nothing is published here (see publishStagedRelease).
 *
 * A file that differs from the release's copy is refused unless `replaceChangedAssets`, except
 * on a draft that holds no manifest yet: its files were never published anywhere, so an
 * interrupted staging is simply completed with this run's bytes.
 */
export async function stageGithubRelease(request: StagingRequest): Promise<StagedRelease> {
  const [locals, manifest] = await Promise.all([
    describeLocalAssets(request.assets),
    request.manifest ? describeLocalAssets([request.manifest]) : Promise.resolve([]),
  ]);
  const [manifestAsset] = manifest;
  const session = await openSession(request);
  const existing = await findReleaseForTag(session, request.tag);
  const release = existing ?? (await createDraftRelease(session, request));
  const remotes = await listAssets(session, release);
  const comparisons = await compareAssets(session, [...locals, ...manifest], remotes);

  const needingWork = comparisons.filter((comparison) => comparison.kind !== "identical");
  if (isPublishedImmutable(release) && needingWork.length > 0) {
    const blocked = needingWork.map(({ kind, local }) => `${local.name} (${kind})`);
    throw immutableReleaseError(release, session.repository, blocked);
  }
  const neverPublished = release.draft && !isStaged(remotes, manifestAsset);
  const replace = request.replaceChangedAssets || neverPublished;
  const different = comparisons.filter((comparison) => comparison.kind === "different");
  if (different.length > 0 && !replace) throw changedAssetsError(release, different);

  const statuses = new Map<string, AssetStatus>();
  const files = comparisons.filter((c) => c.local !== manifestAsset);
  const verified = await uploadAll(session, release, files, replace, statuses);
  const last = comparisons.filter((c) => c.local === manifestAsset);
  verified.push(...(await uploadAll(session, release, last, replace, statuses)));

  return {
    tag: request.tag,
    releaseId: release.id,
    url: release.html_url,
    draft: release.draft,
    release: outcome(existing, needingWork.length > 0),
    assets: [...locals, ...manifest].map((local) => ({
      name: local.name,
      status: statuses.get(local.name) ?? "already-there",
      url: verified.find((a) => a.name === local.name)?.browser_download_url ?? "",
      digest: `sha256:${local.sha256}`,
    })),
  };
}

export interface PublishedRelease {
  url: string;
  /** False when the release was already public. */
  flipped: boolean;
  /** Each asset's final download URL (a draft's name an "untagged-..." placeholder). */
  downloadUrls: Record<string, string>;
}

/**
 * Publishes the tag's staged draft (draft -> public, `make_latest` as asked; a prerelease never
 * becomes latest). GitHub creates the tag now, and the release becomes immutable if the
 * repository enables immutable releases. An already public release is left as it is.
 */
export async function publishStagedRelease(
  request: GithubTarget & PublishRequest,
): Promise<PublishedRelease> {
  const session = await openSession(request);
  const release = await findReleaseForTag(session, request.tag);
  if (release === null) {
    throw new GithubPublishError(
      `Release ${request.tag} disappeared from ${repositoryLabel(session.repository)} before it ` +
        "could be published; run the release again to stage it anew.",
    );
  }
  const published = release.draft ? await publishDraft(session, release, request) : release;
  if (published.draft) {
    throw new GithubPublishError(
      `GitHub still shows release ${release.tag_name} as a draft after publishing; re-run.`,
    );
  }
  return {
    url: published.html_url,
    flipped: release.draft,
    downloadUrls: Object.fromEntries(
      published.assets.map((asset) => [asset.name, asset.browser_download_url]),
    ),
  };
}

/**
 * Downloads the named assets of the tag's release into `dir`, checking each against GitHub's
 * digest as it arrives. Returns the local paths by name.
 */
export async function downloadReleaseAssets(
  target: GithubTarget,
  names: readonly string[],
  dir: string,
): Promise<Record<string, string>> {
  const session = await openSession(target);
  const release = await findReleaseForTag(session, target.tag);
  if (release === null) {
    throw new GithubPublishError(
      `Release ${target.tag} is gone from GitHub; run the release again.`,
    );
  }
  const remotes = await listAssets(session, release);
  const paths: Record<string, string> = {};
  for (const name of names) {
    const remote = remotes.find((r) => r.name === name && r.state === "uploaded");
    if (!remote) {
      throw new GithubPublishError(
        `Staged file ${name} is missing from release ${target.tag}: restore it, or re-run with ` +
          "--rebuild to build and stage the release again.",
      );
    }
    const bytes = await downloadAsset(session, remote);
    const path = join(dir, name);
    await writeFile(path, bytes);
    paths[name] = path;
  }
  return paths;
}

/**
 * The named assets the tag's release holds (uploaded whole), as bytes; absent ones are left out.
 * Null when there is no release for the tag.
 */
export async function readReleaseAssets(
  target: GithubTarget,
  names: readonly string[],
): Promise<Map<string, Buffer> | null> {
  const session = await openSession(target);
  const release = await findReleaseForTag(session, target.tag);
  if (release === null) return null;
  const remotes = await listAssets(session, release);
  const found = new Map<string, Buffer>();
  for (const name of names) {
    const remote = remotes.find((r) => r.name === name && r.state === "uploaded");
    if (remote) found.set(name, await downloadAsset(session, remote));
  }
  return found;
}

/** Records a Sigstore bundle through GitHub's attestations API, once per statement. */
export async function recordGithubAttestation(
  target: GithubTarget,
  bundle: AttestationBundle,
  lookupSha256: string,
): Promise<"recorded" | "already there"> {
  return recordAttestation(await openSession(target), bundle, lookupSha256);
}

/** What GitHub's attestations API holds for a digest (what `gh attestation verify` reads). */
export async function githubAttestations(
  target: GithubTarget,
  sha256: string,
): Promise<StoredAttestation[]> {
  return attestationsFor(await openSession(target), sha256);
}

function outcome(existing: Release | null, wroteAssets: boolean): ReleaseOutcome {
  if (existing === null) return "created";
  if (existing.draft) return wroteAssets ? "resumed-draft" : "already-staged";
  return wroteAssets ? "updated-published" : "already-published";
}

export interface GithubReleaseQuery extends GithubTarget {
  /** The names of the assets the release will carry. */
  assetNames: string[];
  /** The staging manifest's asset name, read when the release holds it. */
  manifestName?: string;
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
  /** The staging manifest's text, when the release holds one (staging finished). */
  manifest: string | null;
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
      manifest: null,
    };
  }
  const remotes = await listAssets(session, release);
  const manifestAsset = remotes.find(
    (r) => r.name === query.manifestName && r.state === "uploaded",
  );
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
    manifest: manifestAsset ? (await downloadAsset(session, manifestAsset)).toString("utf8") : null,
  };
}
