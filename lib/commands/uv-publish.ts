/**
 * Where the upload token travels: uv reads it from this variable (a Dagger secret), with the
 * username `__token__`, so it never appears on a command line or in a log.
 */
export const PUBLISH_TOKEN_VARIABLE = "UV_PUBLISH_TOKEN";

export interface UvPublishSpec {
  /** The upload endpoint, e.g. `https://upload.pypi.org/legacy/`. */
  publishUrl: string;
  /**
   * The index's simple API, e.g. `https://pypi.org/simple/`: a file already there with the same
   * hash is skipped (a re-run succeeds), one with another hash fails the upload.
   */
  checkUrl: string;
  /** The wheels and the sdist, as paths in the container. */
  files: string[];
}

function requireHttpUrl(what: string, url: string): void {
  const protocol = URL.canParse(url) ? new URL(url).protocol : null;
  if (protocol !== "https:" && protocol !== "http:") {
    throw new Error(`uv publish: ${what} must be an http(s) URL, got "${url}"`);
  }
}

/**
 * Uploads the distributions with the token from PUBLISH_TOKEN_VARIABLE. Trusted publishing is
 * off: that token is the only credential, and uv must not go looking for another on its own.
 */
export function uvPublishCommand(spec: UvPublishSpec): string[] {
  requireHttpUrl("the publish URL", spec.publishUrl);
  requireHttpUrl("the check URL", spec.checkUrl);
  if (spec.files.length === 0) throw new Error("uv publish: no files to upload");
  return [
    "uv",
    "publish",
    "--publish-url",
    spec.publishUrl,
    "--check-url",
    spec.checkUrl,
    "--trusted-publishing",
    "never",
    ...spec.files,
  ];
}
