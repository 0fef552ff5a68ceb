import { PypiPublishError } from "./errors.js";

export type FetchFunction = typeof fetch;

/** An HTTP answer: its status, its text and, when the text is JSON, the parsed value. */
export interface HttpAnswer {
  status: number;
  text: string;
  json: unknown;
}

export interface JsonRequest {
  /** Names the step in messages, e.g. "reading the trusted-publishing audience of PyPI". */
  step: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  fetch?: FetchFunction;
  /** Applied to any message built from a library error, which may quote the URL. */
  redact?: (text: string) => string;
}

// Indexes answer in well under a second; a hung connection must not hold a release for hours.
const REQUEST_TIMEOUT_MS = 60_000;

function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/**
 * One request to an index or to GitHub's OIDC endpoint. A network failure becomes a
 * PypiPublishError naming the step; HTTP error statuses are returned for the caller to explain.
 */
export async function requestJson(request: JsonRequest): Promise<HttpAnswer> {
  const redact = request.redact ?? ((text: string) => text);
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": "rust-release-dagger-module",
    ...request.headers,
  };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  let text: string;
  try {
    response = await (request.fetch ?? fetch)(request.url, {
      method: request.method ?? "GET",
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    // No `cause`: a library error may quote the request URL, which can be a secret.
    throw new PypiPublishError(
      redact(`${request.step} failed: no answer (${networkReason(error)}). Re-run later.`),
    );
  }
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, text, json };
}
