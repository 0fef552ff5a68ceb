import { createHash } from "node:crypto";

/** One release asset as the fake stores it, bytes included. */
export interface FakeAsset {
  id: number;
  name: string;
  label: string | null;
  /** `starter` is what a failed (502) upload leaves behind. */
  state: "uploaded" | "starter";
  contentType: string;
  size: number;
  /** null models assets uploaded before GitHub started computing digests. */
  digest: string | null;
  bytes: Buffer;
}

export interface FakeRelease {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  immutable: boolean;
  /** The `make_latest` of the last create or update that sent one. */
  makeLatest: string | null;
  createdAt: string;
  publishedAt: string | null;
  assets: FakeAsset[];
}

/** A release that exists before the test starts. */
export interface SeedRelease {
  tag: string;
  draft?: boolean;
  prerelease?: boolean;
  immutable?: boolean;
  name?: string;
  assets?: SeedAsset[];
}

export interface SeedAsset {
  name: string;
  content: string | Buffer;
  state?: FakeAsset["state"];
  /** Store the asset with `digest: null`, as GitHub shows assets older than June 2025. */
  withoutDigest?: boolean;
  contentType?: string;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The releases of one repository, with GitHub's id and ordering rules. */
export class FakeRepository {
  readonly releases: FakeRelease[] = [];
  private nextReleaseId = 1;
  private nextAssetId = 1;

  constructor(seed: readonly SeedRelease[]) {
    for (const release of seed) {
      const created = this.createRelease({
        tagName: release.tag,
        targetCommitish: "main",
        name: release.name ?? release.tag,
        body: null,
        draft: release.draft ?? false,
        prerelease: release.prerelease ?? false,
        makeLatest: null,
      });
      created.immutable = release.immutable ?? false;
      for (const asset of release.assets ?? []) {
        const bytes = Buffer.from(asset.content);
        const added = this.addAsset(created, {
          name: asset.name,
          label: null,
          contentType: asset.contentType ?? "application/octet-stream",
          bytes,
          state: asset.state ?? "uploaded",
        });
        if (asset.withoutDigest) added.digest = null;
      }
    }
  }

  createRelease(
    fields: Pick<
      FakeRelease,
      "tagName" | "targetCommitish" | "name" | "body" | "draft" | "prerelease" | "makeLatest"
    >,
  ): FakeRelease {
    const now = new Date().toISOString();
    const release: FakeRelease = {
      ...fields,
      id: this.nextReleaseId++,
      immutable: false,
      createdAt: now,
      publishedAt: fields.draft ? null : now,
      assets: [],
    };
    this.releases.push(release);
    return release;
  }

  /** Newest first, like GitHub's release list. */
  listReleases(): FakeRelease[] {
    return [...this.releases].sort((a, b) => b.id - a.id);
  }

  release(id: number): FakeRelease | undefined {
    return this.releases.find((release) => release.id === id);
  }

  publishedRelease(tag: string): FakeRelease | undefined {
    return this.releases.find((release) => release.tagName === tag && !release.draft);
  }

  deleteRelease(id: number): void {
    const index = this.releases.findIndex((release) => release.id === id);
    if (index >= 0) this.releases.splice(index, 1);
  }

  addAsset(
    release: FakeRelease,
    upload: Pick<FakeAsset, "name" | "label" | "contentType" | "bytes" | "state">,
  ): FakeAsset {
    const complete = upload.state === "uploaded";
    const asset: FakeAsset = {
      ...upload,
      id: this.nextAssetId++,
      size: complete ? upload.bytes.length : 0,
      digest: complete ? `sha256:${sha256Hex(upload.bytes)}` : null,
      bytes: complete ? upload.bytes : Buffer.alloc(0),
    };
    release.assets.push(asset);
    return asset;
  }

  asset(id: number): { release: FakeRelease; asset: FakeAsset } | undefined {
    for (const release of this.releases) {
      const asset = release.assets.find((candidate) => candidate.id === id);
      if (asset) return { release, asset };
    }
    return undefined;
  }

  deleteAsset(id: number): void {
    for (const release of this.releases) {
      release.assets = release.assets.filter((asset) => asset.id !== id);
    }
  }
}
