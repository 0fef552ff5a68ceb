import { indexAnswerSummary, PypiPublishError } from "./errors.js";
import { type FetchFunction, requestJson } from "./http.js";
import type { PackageIndex } from "./package-index.js";

export interface ExistingFilesRequest {
  index: PackageIndex;
  project: string;
  /** The PEP 440 version as the index spells it (e.g. "1.0.0rc1"). */
  version: string;
  fetch?: FetchFunction;
}

function filesOf(body: unknown): Map<string, string> | null {
  if (typeof body !== "object" || body === null || !("urls" in body)) return null;
  const { urls } = body as { urls: unknown };
  if (!Array.isArray(urls)) return null;
  const files = new Map<string, string>();
  for (const entry of urls as unknown[]) {
    const { filename, digests } = (entry ?? {}) as { filename?: unknown; digests?: unknown };
    const sha256 = (digests as { sha256?: unknown } | undefined)?.sha256;
    if (typeof filename !== "string" || typeof sha256 !== "string") return null;
    files.set(filename, sha256.toLowerCase());
  }
  return files;
}

/**
 * The files a version already has on the index (file name -> sha256), from the JSON API. Empty
 * when the version (or the project) does not exist yet. The JSON API is served through a cache:
 * a file uploaded moments ago may be missing, so the upload itself stays the final judge.
 */
export async function existingFiles(request: ExistingFilesRequest): Promise<Map<string, string>> {
  const { index, project, version } = request;
  const path = `${encodeURIComponent(project)}/${encodeURIComponent(version)}`;
  const url = `${index.jsonApiUrl}/${path}/json`;
  const step = `Reading the files of ${project} ${version} on ${index.name} (${url})`;
  const answer = await requestJson({ step, url, fetch: request.fetch });
  if (answer.status === 404) return new Map();
  if (answer.status !== 200) {
    const retry = answer.status >= 500 || answer.status === 429 ? " Re-run later." : "";
    throw new PypiPublishError(
      `${step} failed: HTTP ${answer.status} (${indexAnswerSummary(answer.json, answer.text)}).` +
        retry,
    );
  }
  const files = filesOf(answer.json);
  if (files === null) {
    throw new PypiPublishError(
      `${step} failed: the answer is not a JSON API release (no urls[] with filename and ` +
        "digests.sha256). Check that the index URL points at a Warehouse-compatible index.",
    );
  }
  return files;
}
