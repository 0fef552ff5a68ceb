/**
 * Publishing to a package index failed or was refused. Its message says which step failed, what
 * the index (or GitHub) answered and what to do; callers print it as is. It never contains the
 * GitHub request token, the OIDC token (JWT) or an upload token.
 */
export class PypiPublishError extends Error {
  override name = "PypiPublishError";
}

/** One entry of Warehouse's `{"errors": [{"code", "description"}]}` answers. */
export interface IndexErrorEntry {
  code: string;
  description: string;
}

/** The `errors[]` of a Warehouse JSON error answer (mint-token 422s), or [] for any other body. */
export function indexErrorEntries(body: unknown): IndexErrorEntry[] {
  if (typeof body !== "object" || body === null || !("errors" in body)) return [];
  const { errors } = body as { errors: unknown };
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const { code, description } = entry as { code?: unknown; description?: unknown };
    if (typeof code !== "string") return [];
    return [{ code, description: typeof description === "string" ? description : "" }];
  });
}

/** What an index said in a failed answer: its `errors[]`, else `message`, else the raw text. */
export function indexAnswerSummary(body: unknown, text: string): string {
  const entries = indexErrorEntries(body);
  if (entries.length > 0) {
    return entries
      .map(({ code, description }) => (description ? `${code}: ${description}` : code))
      .join("; ");
  }
  if (typeof body === "object" && body !== null && "message" in body) {
    return String((body as { message: unknown }).message);
  }
  const trimmed = text.trim();
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed || "(empty answer)";
}

const REDACTED = "[redacted]";

// Shapes of credentials that may turn up in text we did not write (tool output, server answers):
// PyPI API tokens (macaroons) and JWTs (three base64url segments, the first one `{"` encoded).
const CREDENTIAL_SHAPES = [
  /pypi-[A-Za-z0-9_-]{16,}/g,
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
];

/** Replaces anything shaped like a PyPI token or a JWT. */
export function redactCredentialShapes(text: string): string {
  return CREDENTIAL_SHAPES.reduce((result, shape) => result.replace(shape, REDACTED), text);
}

/**
 * Removes the given secret values (and credential shapes) from a text. Built once the secrets
 * are read, and applied to every message that could have picked one up from a library error.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const values = secrets.filter((secret) => secret.length >= 4);
  return (text) =>
    redactCredentialShapes(
      values.reduce((result, value) => result.split(value).join(REDACTED), text),
    );
}
