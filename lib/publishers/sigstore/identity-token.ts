/**
 * The GitHub Actions OIDC token, requested as @actions/core's getIDToken does:
 * `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with `Authorization: bearer
 * $ACTIONS_ID_TOKEN_REQUEST_TOKEN` -> `{"value": "<JWT>"}`. Both exist only in a job with
 * `permissions: id-token: write`; they reach the module as Dagger Secrets and are read here.
 */
export class MissingIdTokenError extends Error {
  override name = "MissingIdTokenError";
}

export const ID_TOKEN_PERMISSION =
  "The release job needs `permissions: id-token: write`, and --oidc-request-url " +
  "env://ACTIONS_ID_TOKEN_REQUEST_URL --oidc-request-token env://ACTIONS_ID_TOKEN_REQUEST_TOKEN " +
  "from that job; pull requests from forks never get a token (pass --skip-attestations there).";

export interface IdTokenSource {
  requestUrl: () => Promise<string>;
  requestToken: () => Promise<string>;
}

export async function requestIdToken(
  source: IdTokenSource,
  audience: string,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  const [url, token] = await Promise.all([source.requestUrl(), source.requestToken()]);
  if (url.trim() === "" || token.trim() === "") {
    throw new MissingIdTokenError(`No OIDC token to sign with. ${ID_TOKEN_PERMISSION}`);
  }
  const separator = url.includes("?") ? "&" : "?";
  let response: Response;
  try {
    response = await fetchImpl(`${url}${separator}audience=${encodeURIComponent(audience)}`, {
      headers: { accept: "application/json", authorization: `bearer ${token}` },
      signal: AbortSignal.timeout(60_000),
    });
  } catch {
    throw new MissingIdTokenError(
      `Requesting an OIDC token (audience ${audience}) from GitHub Actions got no answer; re-run.`,
    );
  }
  if (!response.ok) {
    throw new MissingIdTokenError(
      `GitHub Actions refused an OIDC token (audience ${audience}, HTTP ${response.status}). ` +
        ID_TOKEN_PERMISSION,
    );
  }
  const body = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (typeof body.value !== "string" || body.value.split(".").length !== 3) {
    throw new MissingIdTokenError("GitHub Actions answered without an OIDC token; re-run.");
  }
  return body.value;
}

/** A JWT's claims, NOT verified: Fulcio verifies the token; the predicate only copies claims. */
export function tokenClaims(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1] ?? "";
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
