import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { GithubPublishError } from "./errors.js";

/** A local file to attach to the release under `name`. */
export interface ReleaseAsset {
  name: string;
  path: string;
}

export interface LocalAsset extends ReleaseAsset {
  sha256: string;
  size: number;
  contentType: string;
}

// GitHub's documented limits: https://docs.github.com/en/repositories/releasing-projects-on-github
const MAX_ASSETS_PER_RELEASE = 1000;
const MAX_ASSET_BYTES = 2 * 1024 ** 3 - 1;

const CONTENT_TYPES: [RegExp, string][] = [
  [/\.(tar\.gz|tgz)$/i, "application/gzip"],
  [/\.(zip|whl)$/i, "application/zip"],
  [/(SUMS|\.sha256|\.txt|\.md)$/i, "text/plain"],
  [/\.json$/i, "application/json"],
];

/** The Content-Type an asset is uploaded with; browsers and package tools read it on download. */
export function contentTypeFor(name: string): string {
  return CONTENT_TYPES.find(([pattern]) => pattern.test(name))?.[1] ?? "application/octet-stream";
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Checks the assets against GitHub's rules and hashes them, before any request is made. */
export async function describeLocalAssets(assets: readonly ReleaseAsset[]): Promise<LocalAsset[]> {
  if (assets.length > MAX_ASSETS_PER_RELEASE) {
    throw new GithubPublishError(
      `${assets.length} assets given; a GitHub Release holds at most ${MAX_ASSETS_PER_RELEASE}.`,
    );
  }
  const seen = new Set<string>();
  const described: LocalAsset[] = [];
  for (const asset of assets) {
    // GitHub silently renames other names, and a renamed asset would never match on a re-run.
    if (!/^[A-Za-z0-9_-]([A-Za-z0-9._-]*[A-Za-z0-9_-])?$/.test(asset.name)) {
      throw new GithubPublishError(
        `Asset name "${asset.name}" must use only letters, digits and . _ - and not start or end ` +
          "with a period (GitHub renames other names).",
      );
    }
    if (seen.has(asset.name)) {
      throw new GithubPublishError(
        `Asset name "${asset.name}" is given twice; names must be unique.`,
      );
    }
    seen.add(asset.name);
    const info = await stat(asset.path).catch((error: unknown) => {
      throw new GithubPublishError(`Asset "${asset.name}": cannot read ${asset.path}.`, {
        cause: error,
      });
    });
    if (!info.isFile() || info.size > MAX_ASSET_BYTES) {
      throw new GithubPublishError(
        `Asset "${asset.name}": ${asset.path} must be a regular file under 2 GiB (GitHub's limit).`,
      );
    }
    described.push({
      ...asset,
      size: info.size,
      sha256: await sha256OfFile(asset.path),
      contentType: contentTypeFor(asset.name),
    });
  }
  return described;
}
