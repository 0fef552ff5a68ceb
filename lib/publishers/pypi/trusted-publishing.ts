import { indexAnswerSummary, indexErrorEntries, PypiPublishError, redactor } from "./errors.js";
import { type FetchFunction, type HttpAnswer, requestJson } from "./http.js";
import type { PackageIndex } from "./package-index.js";
import {
  decodeJwtClaims,
  trustedPublisherAdvice,
  trustedPublisherFields,
} from "./publisher-claims.js";
import { UploadToken } from "./upload-token.js";

export interface MintUploadTokenOptions {
  index: PackageIndex;
  /** The runner's ACTIONS_ID_TOKEN_REQUEST_URL (it already has a query). Read once, when needed. */
  requestUrl: () => Promise<string>;
  /** The runner's ACTIONS_ID_TOKEN_REQUEST_TOKEN. Read once, when needed. */
  requestToken: () => Promise<string>;
  fetch?: FetchFunction;
}

const ID_TOKEN_ADVICE =
  "The job that runs `dagger call` needs `permissions: id-token: write`, and " +
  "ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN must be passed from that same " +
  "job while it runs. Pull requests from forks never get an id-token: publish from a tag push " +
  "(or workflow_dispatch) in the repository itself.";

function stringField(body: unknown, field: string): string | null {
  if (typeof body !== "object" || body === null) return null;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === "string" && value !== "" ? value : null;
}

/** Step 1: the audience the index expects in the OIDC token ("pypi", "testpypi"). */
async function readAudience(index: PackageIndex, fetch?: FetchFunction): Promise<string> {
  const step = `Reading the trusted-publishing audience of ${index.name}`;
  const url = `${index.oidcUrl}/audience`;
  const answer = await requestJson({ step, url, fetch });
  const audience = stringField(answer.json, "audience");
  if (answer.status === 200 && audience !== null) return audience;
  const said = `${index.name} answered HTTP ${answer.status} at ${url}`;
  if (answer.status === 404) {
    throw new PypiPublishError(
      `${step} failed: ${said}. This index does not offer trusted publishing; check its URL.`,
    );
  }
  if (answer.status === 403) {
    throw new PypiPublishError(
      `${step} failed: ${said}. Trusted publishing is disabled on ${index.name} for now.`,
    );
  }
  const why = answer.status === 200 ? "an answer without an audience" : "an error";
  throw new PypiPublishError(
    `${step} failed: ${said} (${why}: ${indexAnswerSummary(answer.json, answer.text)}). ` +
      "Re-run later.",
  );
}

/** Step 2: GitHub's OIDC token for that audience. */
async function requestOidcToken(
  audience: string,
  options: MintUploadTokenOptions,
): Promise<{ jwt: string; redact: (text: string) => string }> {
  const requestUrl = await options.requestUrl();
  const requestToken = await options.requestToken();
  const redact = redactor([requestUrl, requestToken]);
  const step = "Requesting an OIDC token from GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL)";
  if (requestUrl.trim() === "" || requestToken.trim() === "") {
    throw new PypiPublishError(
      `${step} failed: the request URL or token is empty. ${ID_TOKEN_ADVICE}`,
    );
  }
  // Appended as text: the URL already carries `api-version=...`, which must stay as it is.
  const separator = requestUrl.includes("?") ? "&" : "?";
  const answer = await requestJson({
    step,
    url: `${requestUrl}${separator}audience=${encodeURIComponent(audience)}`,
    headers: { authorization: `bearer ${requestToken}` },
    fetch: options.fetch,
    redact,
  });
  const jwt = stringField(answer.json, "value");
  if (answer.status === 200 && jwt !== null) {
    return { jwt, redact: redactor([requestUrl, requestToken, jwt]) };
  }
  if ([401, 403, 404].includes(answer.status)) {
    throw new PypiPublishError(
      `${step} failed: GitHub refused (HTTP ${answer.status}). ${ID_TOKEN_ADVICE}`,
    );
  }
  const what =
    answer.status === 200 ? "answered without a token" : `answered HTTP ${answer.status}`;
  throw new PypiPublishError(redact(`${step} failed: GitHub ${what}. Re-run the job.`));
}

function mintRefusal(
  answer: HttpAnswer,
  jwt: string,
  index: PackageIndex,
  redact: (text: string) => string,
): PypiPublishError {
  const step = `Exchanging the OIDC token for an upload token on ${index.name}`;
  const said = redact(indexAnswerSummary(answer.json, answer.text));
  const codes = indexErrorEntries(answer.json).map((entry) => entry.code);
  if (answer.status === 422 && codes.includes("invalid-publisher")) {
    const claims = decodeJwtClaims(jwt);
    const fields = claims && trustedPublisherFields(claims);
    const advice = fields
      ? trustedPublisherAdvice(fields, index)
      : `Register this repository's workflow as a trusted publisher on ${index.name}.`;
    return new PypiPublishError(
      `${step} failed: no trusted publisher on ${index.name} matches this workflow run ` +
        `(${said}).\n${advice}`,
    );
  }
  const advice: Record<string, string> = {
    "invalid-token":
      "The OIDC token was rejected (expired, or minted for another audience); re-run the job.",
    "not-enabled": `Trusted publishing is disabled on ${index.name} for now; re-run later.`,
    "invalid-pending-publisher":
      "A pending publisher matched, but the project exists now: add the publisher in the " +
      "project's own Settings > Publishing.",
  };
  const known = codes.flatMap((code) => advice[code] ?? []);
  const fallback = answer.status >= 500 ? "Re-run later." : "";
  const hint = known.length > 0 ? known.join(" ") : fallback;
  return new PypiPublishError(
    `${step} failed: ${index.name} answered HTTP ${answer.status} (${said}).` +
      (hint ? ` ${hint}` : ""),
  );
}

/**
 * Trusted publishing: asks the index for its audience, GitHub for an OIDC token for it, and the
 * index for a short-lived upload token in exchange. Nothing secret reaches a message or the
 * returned value's printed form; the JWT itself is never returned.
 */
export async function mintUploadToken(options: MintUploadTokenOptions): Promise<UploadToken> {
  const { index } = options;
  const audience = await readAudience(index, options.fetch);
  const { jwt, redact } = await requestOidcToken(audience, options);
  const answer = await requestJson({
    step: `Exchanging the OIDC token for an upload token on ${index.name}`,
    url: `${index.oidcUrl}/mint-token`,
    method: "POST",
    body: { token: jwt },
    fetch: options.fetch,
    redact,
  });
  if (answer.status !== 200) throw mintRefusal(answer, jwt, index, redact);
  const token = stringField(answer.json, "token");
  if (token === null) {
    throw new PypiPublishError(
      `Exchanging the OIDC token on ${index.name} failed: HTTP 200 without a token. Re-run later.`,
    );
  }
  return new UploadToken(token, index.name);
}
