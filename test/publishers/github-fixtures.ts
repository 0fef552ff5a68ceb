import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type GithubReleaseRequest,
  publishStagedRelease,
  type ReleaseAsset,
  type StagedRelease,
  stageGithubRelease,
} from "../../lib/publishers/github/index.js";
import { FakeGithubApi, type FakeGithubOptions } from "../fakes/github-api.js";

export const TOKEN = "ghp_fakeTokenValue0123456789abcdefXYZ";
export const TAG = "v1.2.3";
export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** Bytes that are not valid UTF-8, so any text round trip would corrupt them. */
function binary(seed: number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 37 + seed * 101) % 256));
}

/** The release of the sample CLI: archives, a wheel and the checksum file, in upload order. */
export const ASSET_CONTENTS: Record<string, Buffer> = {
  "tool-x86_64-unknown-linux-gnu.tar.gz": binary(1, 4096),
  "tool-x86_64-pc-windows-msvc.zip": binary(2, 3000),
  "tool-1.2.3-cp39-abi3-manylinux_2_17_x86_64.whl": binary(3, 5000),
  SHA256SUMS: Buffer.from("0123 tool-x86_64-unknown-linux-gnu.tar.gz\n"),
};

export const ASSET_NAMES = Object.keys(ASSET_CONTENTS);

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** One test's fake GitHub, temp directory and captured warnings; `dispose` removes them all. */
export class GithubScenario {
  readonly warnings: string[] = [];
  readonly github: FakeGithubApi;
  private directory: string | null = null;

  constructor(options: Partial<FakeGithubOptions> = {}) {
    this.github = new FakeGithubApi({ token: TOKEN, ...options });
  }

  async start(): Promise<this> {
    await this.github.start();
    this.directory = await mkdtemp(join(tmpdir(), "github-publisher-"));
    return this;
  }

  async dispose(): Promise<void> {
    await this.github.stop();
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }

  /** Writes the files into the temp directory and returns them as release assets. */
  async assets(contents: Record<string, Buffer> = ASSET_CONTENTS): Promise<ReleaseAsset[]> {
    if (!this.directory) throw new Error("scenario not started");
    const assets: ReleaseAsset[] = [];
    for (const [name, bytes] of Object.entries(contents)) {
      const path = join(this.directory, name);
      await writeFile(path, bytes);
      assets.push({ name, path });
    }
    return assets;
  }

  request(
    assets: ReleaseAsset[],
    overrides: Partial<GithubReleaseRequest> = {},
  ): GithubReleaseRequest {
    return {
      apiUrl: this.github.apiUrl,
      token: async () => TOKEN,
      owner: this.github.owner,
      repo: this.github.repo,
      tag: TAG,
      commit: COMMIT,
      name: `tool ${TAG}`,
      prerelease: false,
      makeLatest: "true",
      assets,
      replaceChangedAssets: false,
      waitUnitMs: 1,
      warn: (message) => this.warnings.push(message),
      ...overrides,
    };
  }

  /** Requests made from now on (the log grows; this remembers where it was). */
  mark(): () => typeof this.github.requests {
    const start = this.github.requests.length;
    return () => this.github.requests.slice(start);
  }

  uploadsOf(name: string) {
    return this.github.requests.filter(
      (r) => r.path.startsWith("/uploads/") && r.query.name === name,
    );
  }
}

/**
 * Stages the release and publishes it at once, as the release does when no other destination
 * comes between: the report is the staging's, with the published release's final URLs.
 */
export async function stageAndPublish(request: GithubReleaseRequest): Promise<StagedRelease> {
  const staged = await stageGithubRelease({ ...request, manifest: null });
  const published = await publishStagedRelease(request);
  return {
    ...staged,
    url: published.url,
    draft: false,
    assets: staged.assets.map((asset) => ({
      ...asset,
      url: published.downloadUrls[asset.name] ?? asset.url,
    })),
  };
}
