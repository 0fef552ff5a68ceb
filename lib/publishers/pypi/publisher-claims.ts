import type { PackageIndex } from "./package-index.js";

/** The claims of a GitHub Actions OIDC token that decide whether a trusted publisher matches. */
export interface GithubOidcClaims {
  repository?: string;
  workflow_ref?: string;
  job_workflow_ref?: string;
  environment?: string;
  ref?: string;
}

/**
 * The claims of a JWT, decoded WITHOUT verifying the signature: only to explain a refusal (PyPI
 * has verified it). Null when the token is not a JWT.
 */
export function decodeJwtClaims(jwt: string): GithubOidcClaims | null {
  const [, payload, signature] = jwt.split(".");
  if (payload === undefined || signature === undefined) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return null;
    const picked: GithubOidcClaims = {};
    for (const key of ["repository", "workflow_ref", "job_workflow_ref", "environment", "ref"]) {
      const value = (claims as Record<string, unknown>)[key];
      if (typeof value === "string") picked[key as keyof GithubOidcClaims] = value;
    }
    return picked;
  } catch {
    return null;
  }
}

/** What a GitHub trusted publisher on an index must be registered with to match a job. */
export interface TrustedPublisherFields {
  owner: string;
  repository: string;
  /** The file name under .github/workflows/ (e.g. "release.yml"), not its path or name. */
  workflowFile: string;
  /** null: the job runs in no environment; undefined: not known (uv does not print it). */
  environment: string | null | undefined;
  /** The caller of a reusable workflow, when the job runs in one (PyPI matches the callee). */
  calledFrom: string | null;
}

// "octo/app/.github/workflows/release.yml@refs/tags/v1.0.0" -> ["octo/app", "release.yml"]
const WORKFLOW_REF = /^([^/]+\/[^/]+)\/\.github\/workflows\/([^@]+)@/;

/**
 * The publisher fields a token's claims call for. PyPI compares `job_workflow_ref` (the file the
 * job itself is defined in), which equals `workflow_ref` unless a reusable workflow runs the job.
 */
export function trustedPublisherFields(claims: GithubOidcClaims): TrustedPublisherFields | null {
  const [owner, repository] = claims.repository?.split("/") ?? [];
  const job = WORKFLOW_REF.exec(claims.job_workflow_ref ?? claims.workflow_ref ?? "");
  if (!owner || !repository || !job?.[2]) return null;
  const caller = WORKFLOW_REF.exec(claims.workflow_ref ?? "");
  const calledFrom =
    caller && (caller[1] !== job[1] || caller[2] !== job[2]) ? `${caller[1]}/${caller[2]}` : null;
  return {
    owner,
    repository,
    workflowFile: job[2],
    // GitHub leaves the claim out when the job has no `environment:`.
    environment: claims.environment ?? null,
    calledFrom,
  };
}

function environmentAdvice(environment: string | null | undefined): string {
  if (environment === undefined) {
    return 'environment: the job\'s "environment:" if it has one, else leave it empty';
  }
  if (environment === null) return "environment: leave empty (the job runs in no environment)";
  return `environment "${environment}" (or leave it empty, which accepts any environment)`;
}

/**
 * Tells the user exactly which trusted publisher to register on `index` for this job. Shared by
 * the token exchange and by the reading of uv's own trusted-publishing failure.
 */
export function trustedPublisherAdvice(
  fields: TrustedPublisherFields,
  index: PackageIndex,
): string {
  const lines = [
    `On ${index.name} (${index.webUrl}), open the project's Settings > Publishing and add a ` +
      "GitHub trusted publisher with exactly:",
    `  owner "${fields.owner}", repository "${fields.repository}", ` +
      `workflow "${fields.workflowFile}", ${environmentAdvice(fields.environment)}.`,
    "TestPyPI and PyPI keep separate registrations: register the publisher on each index you " +
      "publish to (a new project can use a pending publisher).",
  ];
  if (fields.calledFrom !== null) {
    lines.push(
      `This job runs in the reusable workflow ${fields.workflowFile}, called from ` +
        `${fields.calledFrom}; PyPI does not support reusable workflows as trusted publishers: ` +
        "run `dagger call` from a job of the top-level workflow itself.",
    );
  }
  return lines.join("\n");
}
