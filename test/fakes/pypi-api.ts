import { createHash, randomBytes } from "node:crypto";
import { LocalJsonServer, type LoggedRequest, type Reply } from "./pypi-local-server.js";

export type { LoggedRequest } from "./pypi-local-server.js";

/** An unsigned stand-in for a GitHub OIDC token: PyPI's fake checks claims, not signatures. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = { alg: "RS256", typ: "JWT", kid: "fake" };
  return `${segment(header)}.${segment(claims)}.${randomBytes(32).toString("base64url")}`;
}

function jwtClaims(jwt: string): Record<string, unknown> | null {
  const payload = jwt.split(".")[1];
  if (payload === undefined) return null;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
}

/** A trusted publisher registered on the fake index, as PyPI's GitHub publisher form has it. */
export interface FakePublisher {
  repository: string;
  workflowFile: string;
  /** Unset or "": any environment (PyPI's rule). */
  environment?: string;
}

export interface FakeFile {
  filename: string;
  sha256: string;
  /** The PEP 740 attestations uploaded with it (PyPI keeps them as the file's provenance). */
  attestations?: unknown[];
  /** The trusted publisher that uploaded it, as the integrity API reports it. */
  publisher?: FakePublisher;
}

export interface FakeRelease {
  project: string;
  version: string;
  files: FakeFile[];
}

export interface FakePackageIndexOptions {
  audience?: string;
  publishers?: FakePublisher[];
  releases?: FakeRelease[];
}

/** PEP 503 normalisation: the JSON API finds "My_Tool" under "my-tool". */
function normalized(project: string): string {
  return project.toLowerCase().replace(/[-_.]+/g, "-");
}

function invalid(code: string, description: string): Reply {
  return {
    status: 422,
    json: { message: "Token request failed", errors: [{ code, description }] },
  };
}

/**
 * A local Warehouse stand-in: the trusted-publishing audience and mint-token endpoints (matching
 * claims the way PyPI's GitHub publisher does) and the JSON API of releases it holds.
 */
export class FakePackageIndex extends LocalJsonServer {
  readonly audience: string;
  readonly publishers: FakePublisher[];
  readonly releases: FakeRelease[];
  /** Every upload token this index minted, for leak checks. */
  readonly minted: string[] = [];
  private failures: { path: string; reply: Reply }[] = [];

  constructor(options: FakePackageIndexOptions = {}) {
    super();
    this.audience = options.audience ?? "pypi";
    this.publishers = options.publishers ?? [];
    this.releases = options.releases ?? [];
  }

  /** The next request to `path` gets `reply` instead of its normal answer. */
  failNext(path: string, reply: Reply): void {
    this.failures.push({ path, reply });
  }

  protected reply(request: LoggedRequest): Reply {
    const failure = this.failures.find((candidate) => candidate.path === request.path);
    if (failure) {
      this.failures.splice(this.failures.indexOf(failure), 1);
      return failure.reply;
    }
    if (request.method === "GET" && request.path === "/_/oidc/audience") {
      return { status: 200, json: { audience: this.audience } };
    }
    if (request.method === "POST" && request.path === "/_/oidc/mint-token") {
      return this.mint(request.body);
    }
    const integrity = /^\/integrity\/([^/]+)\/([^/]+)\/([^/]+)\/provenance$/.exec(request.path);
    if (request.method === "GET" && integrity) {
      return this.provenance(
        decodeURIComponent(integrity[1] ?? ""),
        decodeURIComponent(integrity[2] ?? ""),
        decodeURIComponent(integrity[3] ?? ""),
      );
    }
    const release = /^\/pypi\/([^/]+)\/([^/]+)\/json$/.exec(request.path);
    if (request.method === "GET" && release) {
      return this.releaseJson(
        decodeURIComponent(release[1] ?? ""),
        decodeURIComponent(release[2] ?? ""),
      );
    }
    return { status: 404, json: { message: "Not Found" } };
  }

  private mint(body: unknown): Reply {
    const token = (body as { token?: unknown } | null)?.token;
    if (typeof token !== "string") return invalid("invalid-payload", "token: Field required");
    const claims = jwtClaims(token);
    if (claims === null || claims.aud !== this.audience) {
      return invalid("invalid-token", "malformed or invalid token");
    }
    const matches = this.publishers.some((publisher) => this.accepts(publisher, claims));
    if (!matches) {
      return invalid(
        "invalid-publisher",
        "valid token, but no corresponding publisher " +
          "(Publisher with matching claims was not found)",
      );
    }
    const minted = `pypi-${randomBytes(48).toString("base64url")}`;
    this.minted.push(minted);
    return { status: 200, json: { success: true, token: minted } };
  }

  /** Warehouse's checks: repository (any case), job_workflow_ref at `ref`, environment if set. */
  private accepts(publisher: FakePublisher, claims: Record<string, unknown>): boolean {
    const repository = String(claims.repository ?? "");
    const workflow = `${publisher.repository}/.github/workflows/${publisher.workflowFile}`;
    const expected = `${workflow}@${String(claims.ref)}`;
    const environment = publisher.environment ?? "";
    return (
      repository.toLowerCase() === publisher.repository.toLowerCase() &&
      claims.job_workflow_ref === expected &&
      (environment === "" ||
        String(claims.environment ?? "").toLowerCase() === environment.toLowerCase())
    );
  }

  /** PyPI's integrity API: a file's PEP 740 provenance, 404 when it was uploaded without. */
  private provenance(project: string, version: string, filename: string): Reply {
    const file = this.releases
      .find((r) => normalized(r.project) === normalized(project) && r.version === version)
      ?.files.find((f) => f.filename === filename);
    if (!file?.attestations?.length || !file.publisher) {
      return { status: 404, json: { message: `No provenance available for ${filename}` } };
    }
    return {
      status: 200,
      json: {
        version: 1,
        attestation_bundles: [
          {
            publisher: {
              kind: "GitHub",
              repository: file.publisher.repository,
              workflow: file.publisher.workflowFile,
              environment: file.publisher.environment ?? null,
            },
            attestations: file.attestations,
          },
        ],
      },
    };
  }

  private releaseJson(project: string, version: string): Reply {
    const release = this.releases.find(
      (candidate) =>
        normalized(candidate.project) === normalized(project) && candidate.version === version,
    );
    if (!release) return { status: 404, json: { message: "Not Found" } };
    const urls = release.files.map((file) => ({
      filename: file.filename,
      packagetype: file.filename.endsWith(".whl") ? "bdist_wheel" : "sdist",
      digests: {
        md5: createHash("md5").update(file.filename).digest("hex"),
        sha256: file.sha256,
        blake2b_256: createHash("sha256").update(file.sha256).digest("hex"),
      },
      url: `${this.url}/packages/${file.filename}`,
      yanked: false,
    }));
    return { status: 200, json: { info: { name: release.project, version }, urls } };
  }
}

export interface FakeGithubOidcOptions {
  /** The runner's ACTIONS_ID_TOKEN_REQUEST_TOKEN this endpoint accepts. */
  requestToken: string;
  /** The claims of the tokens it issues (`aud` is the requested audience). */
  claims: Record<string, unknown>;
}

const ID_TOKEN_PATH =
  "/00000000/_apis/distributedtask/hubs/Actions/plans/plan-1/jobs/job-1/idtoken";

/**
 * A local stand-in for the runner's OIDC token endpoint: checks the bearer token, requires the
 * URL's own `api-version` query to survive and an `audience`, and returns an unsigned JWT.
 */
export class FakeGithubOidc extends LocalJsonServer {
  /** Every JWT issued, for leak checks. */
  readonly issued: string[] = [];
  /** When set, every request is refused with this status, as for a job without id-token. */
  refuseWith: number | null = null;

  constructor(private readonly options: FakeGithubOidcOptions) {
    super();
  }

  /** The claims of the tokens it issues from now on (a test may change them). */
  get claims(): Record<string, unknown> {
    return this.options.claims;
  }

  /** What ACTIONS_ID_TOKEN_REQUEST_URL holds on a runner: it already has a query. */
  get requestUrl(): string {
    return `${this.url}${ID_TOKEN_PATH}?api-version=2.0`;
  }

  protected reply(request: LoggedRequest): Reply {
    if (request.path !== ID_TOKEN_PATH) return { status: 404, json: { message: "Not Found" } };
    if (this.refuseWith !== null) {
      return { status: this.refuseWith, json: { message: "Unable to get ACTIONS_ID_TOKEN" } };
    }
    const bearer = /^bearer (.+)$/i.exec(request.authorization ?? "");
    if (bearer?.[1] !== this.options.requestToken) {
      return { status: 401, json: { message: "Unauthorized" } };
    }
    if (request.query["api-version"] !== "2.0" || !request.query.audience) {
      return { status: 400, json: { message: "api-version and audience are required" } };
    }
    const jwt = unsignedJwt({
      ...this.options.claims,
      aud: request.query.audience,
      iss: "https://token.actions.githubusercontent.com",
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    this.issued.push(jwt);
    return { status: 200, json: { count: jwt.length, value: jwt } };
  }
}
