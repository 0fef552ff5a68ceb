import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { GithubClient, Release, RemoteAsset } from "./api.js";
import {
  GithubPublishError,
  githubFailure,
  githubStep,
  httpStatus,
  type RepositoryRef,
  validationCodes,
} from "./errors.js";
import type { LocalAsset } from "./local-assets.js";

export type AssetStatus = "uploaded" | "already-there" | "replaced";

/** A client bound to one repository. */
export interface GithubSession {
  client: GithubClient;
  repository: RepositoryRef;
  warn: (message: string) => void;
}

/** How a local asset relates to the release's asset of the same name. */
export type AssetComparison =
  | { kind: "missing"; local: LocalAsset }
  | { kind: "identical"; local: LocalAsset; remote: RemoteAsset }
  /** Left by a failed upload (state `starter`): it holds no usable file and blocks the name. */
  | { kind: "incomplete"; local: LocalAsset; remote: RemoteAsset }
  | { kind: "different"; local: LocalAsset; remote: RemoteAsset; remoteSha256: string };

export function listAssets(session: GithubSession, release: Release): Promise<RemoteAsset[]> {
  const { client, repository } = session;
  return githubStep(`listing the assets of release ${release.tag_name}`, repository, () =>
    client.paginate("GET /repos/{owner}/{repo}/releases/{release_id}/assets", {
      ...repository,
      release_id: release.id,
      per_page: 100,
    }),
  );
}

/** An asset's bytes; a download whose hash differs from GitHub's digest is refused. */
export async function downloadAsset(session: GithubSession, remote: RemoteAsset): Promise<Buffer> {
  const { client, repository } = session;
  const response = await githubStep(`downloading asset ${remote.name}`, repository, () =>
    client.rest.repos.getReleaseAsset({
      ...repository,
      asset_id: remote.id,
      headers: { accept: "application/octet-stream" },
    }),
  );
  const bytes = Buffer.from(response.data as ArrayBuffer);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (remote.digest?.startsWith("sha256:") && remote.digest !== `sha256:${sha256}`) {
    throw new GithubPublishError(
      `Downloading asset ${remote.name} gave sha256:${sha256}, but GitHub lists ${remote.digest}; ` +
        "re-run (a transfer went wrong).",
    );
  }
  return bytes;
}

/** The asset's sha256: GitHub's digest, or (older assets have none) the hash of a download. */
async function remoteSha256(session: GithubSession, remote: RemoteAsset): Promise<string> {
  if (remote.digest?.startsWith("sha256:")) return remote.digest.slice("sha256:".length);
  const bytes = await downloadAsset(session, remote);
  return createHash("sha256").update(bytes).digest("hex");
}

export async function compareAsset(
  session: GithubSession,
  local: LocalAsset,
  remotes: readonly RemoteAsset[],
): Promise<AssetComparison> {
  const remote = remotes.find((candidate) => candidate.name === local.name);
  if (remote === undefined) return { kind: "missing", local };
  if (remote.state !== "uploaded") return { kind: "incomplete", local, remote };
  const sha256 = await remoteSha256(session, remote);
  return sha256 === local.sha256
    ? { kind: "identical", local, remote }
    : { kind: "different", local, remote, remoteSha256: sha256 };
}

export async function compareAssets(
  session: GithubSession,
  locals: readonly LocalAsset[],
  remotes: readonly RemoteAsset[],
): Promise<AssetComparison[]> {
  const comparisons: AssetComparison[] = [];
  for (const local of locals) comparisons.push(await compareAsset(session, local, remotes));
  return comparisons;
}

export function changedAssetsError(
  release: Release,
  different: readonly Extract<AssetComparison, { kind: "different" }>[],
): GithubPublishError {
  const lines = different.map(
    ({ local, remoteSha256 }) =>
      `  ${local.name}: release has sha256:${remoteSha256}, local file is sha256:${local.sha256}`,
  );
  return new GithubPublishError(
    `Release ${release.tag_name} already has ${different.length} asset(s) with different ` +
      `content:\n${lines.join("\n")}\nNothing was uploaded. If the new files are intended, ` +
      "re-run with --replace-changed-assets to delete and upload them again.",
  );
}

export async function deleteAsset(session: GithubSession, remote: RemoteAsset): Promise<void> {
  const { client, repository } = session;
  try {
    await client.rest.repos.deleteReleaseAsset({ ...repository, asset_id: remote.id });
  } catch (error) {
    // A retried delete whose first attempt went through finds nothing: that is the goal.
    if (httpStatus(error) === 404) return;
    throw githubFailure(error, `deleting asset ${remote.name} (id ${remote.id})`, repository);
  }
}

/** POSTs the file's raw bytes to the release's upload URL (uploads.github.com, or GHES's). */
async function postAsset(
  session: GithubSession,
  release: Release,
  local: LocalAsset,
): Promise<void> {
  const uploadUrl = release.upload_url.replace(/\{[^}]*\}$/, "");
  const data = await readFile(local.path);
  await session.client.request({
    method: "POST",
    url: `${uploadUrl}{?name}`,
    name: local.name,
    data,
    headers: { "content-type": local.contentType, "content-length": data.length },
  });
}

/**
 * Uploads one asset. A 422 `already_exists` means an earlier attempt (a retry after a 502, or a
 * concurrent run) created the name first; the asset is then judged by digest like before uploading.
 */
export async function uploadAsset(
  session: GithubSession,
  release: Release,
  local: LocalAsset,
  replaceChangedAssets: boolean,
): Promise<AssetStatus> {
  const step = `uploading asset ${local.name} to release ${release.tag_name}`;
  try {
    await postAsset(session, release, local);
    return "uploaded";
  } catch (error) {
    if (httpStatus(error) !== 422 || !validationCodes(error).includes("already_exists")) {
      throw githubFailure(error, step, session.repository);
    }
  }
  const comparison = await compareAsset(session, local, await listAssets(session, release));
  if (comparison.kind === "identical") return "already-there";
  if (comparison.kind === "different" && !replaceChangedAssets) {
    throw changedAssetsError(release, [comparison]);
  }
  if (comparison.kind !== "missing") await deleteAsset(session, comparison.remote);
  await githubStep(step, session.repository, () => postAsset(session, release, local));
  return comparison.kind === "different" ? "replaced" : "uploaded";
}
