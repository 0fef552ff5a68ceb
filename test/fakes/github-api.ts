import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type FakeAsset,
  type FakeRelease,
  FakeRepository,
  type SeedRelease,
  sha256Hex,
} from "./github-state.js";

export type { FakeAsset, FakeRelease, SeedAsset, SeedRelease } from "./github-state.js";

/** One request as the fake saw it. The Authorization header is recorded as present or not. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorized: boolean;
  accept: string | null;
  contentType: string | null;
  contentLength: string | null;
  bodyLength: number;
  bodySha256: string | null;
  /** The parsed body of a JSON request. */
  json: unknown;
  status: number;
}

export interface FakeGithubOptions {
  token: string;
  owner?: string;
  repo?: string;
  releases?: readonly SeedRelease[];
  /** Models a repository with immutable releases: a release becomes immutable once published. */
  immutableOnPublish?: boolean;
  /** Tags that exist in the repository: name -> commit sha (lightweight tags). */
  tags?: Record<string, string>;
  /** The token lacks `attestations: write`: recording an attestation gets 403. */
  refuseAttestations?: boolean;
}

/** An attestation GitHub stored: the bundle as posted, found by each subject's digest. */
export interface StoredAttestation {
  id: number;
  bundle: { dsseEnvelope: { payload: string } } & Record<string, unknown>;
  digests: string[];
  predicateType: string;
}

/** A one-shot answer to the next request that matches. */
export interface InjectedFailure {
  method: string;
  path: RegExp;
  status: number;
  message?: string;
  headers?: Record<string, string>;
  /** The request takes effect and only its answer is replaced: a lost response. */
  afterHandling?: boolean;
}

interface UploadOutage {
  fromNth: number;
  times: number;
}

type Reply = { status: number; json?: unknown; headers?: Record<string, string>; bytes?: Buffer };

const DOCS = "https://docs.github.com/rest";

function notFound(): Reply {
  return { status: 404, json: { message: "Not Found", documentation_url: DOCS, status: "404" } };
}

function invalid(resource: string, code: string, field: string): Reply {
  const json = { message: "Validation Failed", errors: [{ resource, code, field }] };
  return { status: 422, json: { ...json, documentation_url: DOCS, status: "422" } };
}

function refused(message: string): Reply {
  return { status: 422, json: { message, documentation_url: DOCS, status: "422" } };
}

/**
 * A local stand-in for GitHub's REST API (releases and their assets), following GitHub's
 * documented behaviour: drafts are invisible to get-by-tag, duplicate asset names get 422
 * `already_exists`, uploads go to the release's `upload_url`, assets carry sha256 digests.
 */
export class FakeGithubApi {
  readonly requests: RecordedRequest[] = [];
  readonly repository: FakeRepository;
  readonly owner: string;
  readonly repo: string;
  private readonly token: string;
  private readonly immutableOnPublish: boolean;
  private readonly tags: Record<string, string>;
  private server: Server | null = null;
  private base = "";
  private failures: InjectedFailure[] = [];
  private uploadOutage: UploadOutage | null = null;
  private uploadCount = 0;
  readonly attestations: StoredAttestation[] = [];
  refuseAttestations: boolean;

  constructor(options: FakeGithubOptions) {
    this.token = options.token;
    this.owner = options.owner ?? "octo";
    this.repo = options.repo ?? "tool";
    this.immutableOnPublish = options.immutableOnPublish ?? false;
    this.tags = { ...options.tags };
    this.repository = new FakeRepository(options.releases ?? []);
    this.refuseAttestations = options.refuseAttestations ?? false;
  }

  get apiUrl(): string {
    if (this.server === null) throw new Error("FakeGithubApi is not started");
    return this.base;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ message: `fake GitHub failed: ${String(error)}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /** Answers the next request matching method and path with `status` (GitHub's JSON shape). */
  failOnce(failure: InjectedFailure): void {
    this.failures.push(failure);
  }

  /**
   * The Nth upload request (1-based, counting every upload) and the `times - 1` after it get a 502,
   * each leaving a `starter` asset under its name, as GitHub's upload front end does.
   */
  failUploads(outage: { fromNth: number; times?: number }): void {
    this.uploadOutage = { fromNth: outage.fromNth, times: outage.times ?? 1 };
  }

  clearFaults(): void {
    this.failures = [];
    this.uploadOutage = null;
  }

  releasesForTag(tag: string): FakeRelease[] {
    return this.repository.releases.filter((release) => release.tagName === tag);
  }

  /** Requests that change state (anything but GET/HEAD). */
  writes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== "GET" && request.method !== "HEAD");
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(request.url ?? "/", this.base);
    const contentType = request.headers["content-type"] ?? null;
    const isJson = contentType?.startsWith("application/json") && body.length > 0;
    const recorded: RecordedRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorized: request.headers.authorization !== undefined,
      accept: request.headers.accept ?? null,
      contentType,
      contentLength: request.headers["content-length"] ?? null,
      bodyLength: body.length,
      bodySha256: body.length > 0 ? sha256Hex(body) : null,
      json: isJson ? JSON.parse(body.toString("utf8")) : null,
      status: 0,
    };
    this.requests.push(recorded);
    const reply = this.reply(request, recorded, body);
    recorded.status = reply.status;
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.json !== undefined) headers["content-type"] = "application/json; charset=utf-8";
    response.writeHead(reply.status, headers);
    response.end(reply.json !== undefined ? JSON.stringify(reply.json) : reply.bytes);
  }

  private reply(request: IncomingMessage, recorded: RecordedRequest, body: Buffer): Reply {
    const failure = this.failures.find(
      (candidate) => candidate.method === recorded.method && candidate.path.test(recorded.path),
    );
    if (failure) {
      this.failures.splice(this.failures.indexOf(failure), 1);
      if (failure.afterHandling) this.handleNormally(request, recorded, body);
      const message = failure.message ?? (failure.status >= 500 ? "Server Error" : "Failed");
      return { status: failure.status, headers: failure.headers, json: { message } };
    }
    return this.handleNormally(request, recorded, body);
  }

  private handleNormally(request: IncomingMessage, recorded: RecordedRequest, body: Buffer): Reply {
    const download = /^\/downloads\/(\d+)$/.exec(recorded.path);
    if (download) return this.download(Number(download[1]));
    const credentials = /^(?:token|bearer) (.+)$/i.exec(request.headers.authorization ?? "");
    if (!credentials) {
      return { status: 401, json: { message: "Requires authentication", documentation_url: DOCS } };
    }
    if (credentials[1] !== this.token) {
      return { status: 401, json: { message: "Bad credentials", documentation_url: DOCS } };
    }
    const prefix = `/repos/${this.owner}/${this.repo}/releases`;
    const upload = new RegExp(`^/uploads${prefix}/(\\d+)/assets$`).exec(recorded.path);
    if (upload && recorded.method === "POST") {
      return this.upload(Number(upload[1]), recorded, body);
    }
    // Octokit sends the ref as one encoded path segment (tags%2Fv1.2.3); GitHub takes both.
    const gitRef = new RegExp(`^/repos/${this.owner}/${this.repo}/git/ref/(.+)$`).exec(
      recorded.path,
    );
    const refName = decodeURIComponent(gitRef?.[1] ?? "");
    if (gitRef && recorded.method === "GET" && refName.startsWith("tags/")) {
      const name = refName.slice("tags/".length);
      const sha = this.tags[name];
      if (sha === undefined) return notFound();
      return { status: 200, json: { ref: `refs/tags/${name}`, object: { type: "commit", sha } } };
    }
    const attestations = `/repos/${this.owner}/${this.repo}/attestations`;
    if (decodeURIComponent(recorded.path).startsWith(attestations)) {
      return this.attestationRoute(
        recorded,
        decodeURIComponent(recorded.path).slice(attestations.length),
      );
    }
    if (!recorded.path.startsWith(prefix)) return notFound();
    return this.route(recorded, recorded.path.slice(prefix.length));
  }

  private route(recorded: RecordedRequest, rest: string): Reply {
    const { method, json } = recorded;
    const fields = (json ?? {}) as Record<string, unknown>;
    const id = /^\/(\d+)$/.exec(rest);
    const assets = /^\/(\d+)\/assets$/.exec(rest);
    const asset = /^\/assets\/(\d+)$/.exec(rest);
    const tag = /^\/tags\/(.+)$/.exec(rest);
    if (rest === "" && method === "GET") {
      const page = this.page(recorded, this.repository.listReleases());
      return { ...page, json: page.items.map((release) => this.releaseJson(release)) };
    }
    if (rest === "" && method === "POST") return this.create(fields);
    if (rest === "/generate-notes" && method === "POST") return this.notes(fields);
    if (tag && method === "GET") {
      const release = this.repository.publishedRelease(decodeURIComponent(tag[1] ?? ""));
      return release ? { status: 200, json: this.releaseJson(release) } : notFound();
    }
    if (id) {
      const release = this.repository.release(Number(id[1]));
      if (!release) return notFound();
      if (method === "GET") return { status: 200, json: this.releaseJson(release) };
      if (method === "PATCH") return this.update(release, fields);
      if (method === "DELETE") {
        this.repository.deleteRelease(release.id);
        return { status: 204 };
      }
    }
    if (assets && method === "GET") {
      const release = this.repository.release(Number(assets[1]));
      if (!release) return notFound();
      const page = this.page(recorded, release.assets);
      return { ...page, json: page.items.map((item) => this.assetJson(release, item)) };
    }
    if (asset) return this.assetRoute(recorded, Number(asset[1]));
    return notFound();
  }

  /**
   * GitHub's artifact attestations API: POST a Sigstore bundle (needs `attestations: write`);
   * GET `/sha256:<hex>` lists those with a subject of that digest, `{"attestations": [...]}`.
   */
  private attestationRoute(recorded: RecordedRequest, rest: string): Reply {
    if (rest === "" && recorded.method === "POST") {
      if (this.refuseAttestations) {
        return {
          status: 403,
          json: { message: "Resource not accessible by integration", documentation_url: DOCS },
        };
      }
      const bundle = (recorded.json as { bundle?: StoredAttestation["bundle"] } | null)?.bundle;
      const payload = bundle?.dsseEnvelope?.payload;
      if (
        typeof bundle?.mediaType !== "string" ||
        !bundle.mediaType.startsWith("application/vnd.dev.sigstore.bundle") ||
        !bundle.verificationMaterial ||
        typeof payload !== "string"
      ) {
        return invalid("Attestation", "invalid", "bundle");
      }
      const statement = JSON.parse(Buffer.from(payload, "base64").toString("utf8")) as {
        predicateType: string;
        subject: { digest: { sha256: string } }[];
      };
      const id = this.attestations.length + 1;
      this.attestations.push({
        id,
        bundle,
        predicateType: statement.predicateType,
        digests: statement.subject.map((subject) => `sha256:${subject.digest.sha256}`),
      });
      return { status: 201, json: { id } };
    }
    const digest = /^\/(sha256:[0-9a-f]{64})$/.exec(rest)?.[1];
    if (digest && recorded.method === "GET") {
      const found = this.attestations.filter((a) => a.digests.includes(digest));
      if (found.length === 0) return notFound();
      return {
        status: 200,
        json: {
          attestations: found.map((a) => ({ bundle: a.bundle, repository_id: 4242 })),
        },
      };
    }
    return notFound();
  }

  /** GitHub's `per_page`/`page` paging with a `Link` header pointing at the other pages. */
  private page<T>(recorded: RecordedRequest, all: T[]): Reply & { items: T[] } {
    const perPage = Math.min(Number(recorded.query.per_page ?? 30), 100);
    const page = Math.max(Number(recorded.query.page ?? 1), 1);
    const last = Math.max(Math.ceil(all.length / perPage), 1);
    const link = (n: number, rel: string) => {
      const url = new URL(recorded.path, this.base);
      url.search = new URLSearchParams({ ...recorded.query, page: String(n) }).toString();
      return `<${url.href}>; rel="${rel}"`;
    };
    const links = [];
    if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
    if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
    return {
      status: 200,
      headers: links.length > 0 ? { link: links.join(", ") } : {},
      items: all.slice((page - 1) * perPage, page * perPage),
    };
  }

  private create(fields: Record<string, unknown>): Reply {
    if (typeof fields.tag_name !== "string" || fields.tag_name === "") {
      return invalid("Release", "missing_field", "tag_name");
    }
    if (this.repository.publishedRelease(fields.tag_name)) {
      return invalid("Release", "already_exists", "tag_name");
    }
    const makeLatest = this.makeLatest(fields);
    if (makeLatest === undefined) return invalid("Release", "invalid", "make_latest");
    const release = this.repository.createRelease({
      tagName: fields.tag_name,
      targetCommitish:
        typeof fields.target_commitish === "string" ? fields.target_commitish : "main",
      name: typeof fields.name === "string" ? fields.name : null,
      body: typeof fields.body === "string" ? fields.body : null,
      draft: fields.draft === true,
      prerelease: fields.prerelease === true,
      makeLatest,
    });
    release.immutable = !release.draft && this.immutableOnPublish;
    return { status: 201, json: this.releaseJson(release) };
  }

  /** null when absent, undefined when not one of GitHub's three values. */
  private makeLatest(fields: Record<string, unknown>): string | null | undefined {
    const value = fields.make_latest;
    if (value === undefined) return null;
    return value === "true" || value === "false" || value === "legacy" ? value : undefined;
  }

  private update(release: FakeRelease, fields: Record<string, unknown>): Reply {
    const makeLatest = this.makeLatest(fields);
    if (makeLatest === undefined) return invalid("Release", "invalid", "make_latest");
    if (release.immutable && fields.tag_name !== undefined && fields.tag_name !== release.tagName) {
      return refused("Cannot change the tag of an immutable release.");
    }
    if (typeof fields.name === "string") release.name = fields.name;
    if (typeof fields.body === "string") release.body = fields.body;
    if (typeof fields.prerelease === "boolean") release.prerelease = fields.prerelease;
    if (makeLatest !== null) release.makeLatest = makeLatest;
    if (fields.draft === false && release.draft) {
      if (this.repository.publishedRelease(release.tagName)) {
        return invalid("Release", "already_exists", "tag_name");
      }
      release.draft = false;
      release.publishedAt = new Date().toISOString();
      release.immutable = this.immutableOnPublish;
    }
    return { status: 200, json: this.releaseJson(release) };
  }

  private notes(fields: Record<string, unknown>): Reply {
    if (typeof fields.tag_name !== "string") return invalid("Release", "missing_field", "tag_name");
    const changelog = `https://github.com/${this.owner}/${this.repo}/commits/${fields.tag_name}`;
    return {
      status: 200,
      json: {
        name: fields.tag_name,
        body: `## What's Changed\n* Initial work\n\n**Full Changelog**: ${changelog}`,
      },
    };
  }

  private assetRoute(recorded: RecordedRequest, id: number): Reply {
    const found = this.repository.asset(id);
    if (!found) return notFound();
    if (recorded.method === "GET") {
      // GitHub redirects binary downloads to storage that needs no token.
      if (recorded.accept === "application/octet-stream") {
        return { status: 302, headers: { location: `${this.base}/downloads/${id}` } };
      }
      return { status: 200, json: this.assetJson(found.release, found.asset) };
    }
    if (recorded.method === "DELETE") {
      if (found.release.immutable)
        return refused("Cannot delete an asset of an immutable release.");
      this.repository.deleteAsset(id);
      return { status: 204 };
    }
    return notFound();
  }

  private download(id: number): Reply {
    const found = this.repository.asset(id);
    if (!found) return notFound();
    return {
      status: 200,
      headers: { "content-type": "application/octet-stream" },
      bytes: found.asset.bytes,
    };
  }

  private upload(releaseId: number, recorded: RecordedRequest, body: Buffer): Reply {
    this.uploadCount++;
    const release = this.repository.release(releaseId);
    if (!release) return notFound();
    const name = recorded.query.name;
    if (!name) return invalid("ReleaseAsset", "missing_field", "name");
    const contentType = recorded.contentType;
    if (!contentType) return refused("Content-Type header is required.");
    if (Number(recorded.contentLength) !== body.length) return refused("Bad Content-Length.");
    if (release.immutable) return refused("Cannot upload assets to an immutable release.");
    const outage = this.uploadOutage;
    if (
      outage &&
      this.uploadCount >= outage.fromNth &&
      this.uploadCount < outage.fromNth + outage.times
    ) {
      if (!release.assets.some((asset) => asset.name === name)) {
        this.repository.addAsset(release, {
          name,
          label: null,
          contentType,
          bytes: body,
          state: "starter",
        });
      }
      return { status: 502, json: { message: "Server Error" } };
    }
    if (release.assets.some((asset) => asset.name === name)) {
      return invalid("ReleaseAsset", "already_exists", "name");
    }
    const asset = this.repository.addAsset(release, {
      name,
      label: recorded.query.label ?? null,
      contentType,
      bytes: body,
      state: "uploaded",
    });
    return { status: 201, json: this.assetJson(release, asset) };
  }

  /** Drafts have no tag yet: GitHub's URLs name a placeholder until publishing. */
  private tagPath(release: FakeRelease): string {
    return release.draft
      ? `untagged-${release.id.toString(16).padStart(20, "0")}`
      : release.tagName;
  }

  private releaseJson(release: FakeRelease) {
    const api = `${this.base}/repos/${this.owner}/${this.repo}/releases/${release.id}`;
    const tagPath = this.tagPath(release);
    return {
      url: api,
      assets_url: `${api}/assets`,
      upload_url: `${this.base}/uploads${api.slice(this.base.length)}/assets{?name,label}`,
      html_url: `${this.base}/${this.owner}/${this.repo}/releases/tag/${tagPath}`,
      id: release.id,
      node_id: `RE_${release.id}`,
      tag_name: release.tagName,
      target_commitish: release.targetCommitish,
      name: release.name,
      body: release.body,
      draft: release.draft,
      prerelease: release.prerelease,
      immutable: release.immutable,
      created_at: release.createdAt,
      published_at: release.publishedAt,
      author: { login: "octocat", id: 1 },
      tarball_url: `${this.base}/repos/${this.owner}/${this.repo}/tarball/${release.tagName}`,
      zipball_url: `${this.base}/repos/${this.owner}/${this.repo}/zipball/${release.tagName}`,
      assets: release.assets.map((asset) => this.assetJson(release, asset)),
    };
  }

  private assetJson(release: FakeRelease, asset: FakeAsset) {
    const repoPath = `${this.owner}/${this.repo}`;
    const download = `${this.base}/${repoPath}/releases/download`;
    return {
      url: `${this.base}/repos/${repoPath}/releases/assets/${asset.id}`,
      browser_download_url: `${download}/${this.tagPath(release)}/${asset.name}`,
      id: asset.id,
      node_id: `RA_${asset.id}`,
      name: asset.name,
      label: asset.label,
      state: asset.state,
      content_type: asset.contentType,
      size: asset.size,
      digest: asset.digest,
      download_count: 0,
      created_at: release.createdAt,
      updated_at: release.createdAt,
      uploader: { login: "octocat", id: 1 },
    };
  }
}
