import { requestJson } from "./http.js";
import type { PackageIndex } from "./package-index.js";

/** One publisher's attestations of a file, as PyPI's integrity API lists them (PEP 740). */
export interface AttestationBundleEntry {
  publisher: { kind?: string; repository?: string; workflow?: string; environment?: string | null };
  attestations: unknown[];
}

/**
 * A file's provenance from the index's integrity API
 * (`GET <index>/integrity/<project>/<version>/<file>/provenance`, docs.pypi.org/api/integrity):
 * null when the index has none for it (404: uploaded without attestations, or not there).
 */
export async function fileProvenance(
  index: PackageIndex,
  project: string,
  version: string,
  file: string,
): Promise<AttestationBundleEntry[] | null> {
  const path = [project, version, file].map(encodeURIComponent).join("/");
  const url = `${index.webUrl}/integrity/${path}/provenance`;
  const answer = await requestJson({
    step: `Reading the provenance of ${file} on ${index.name}`,
    url,
    headers: { accept: "application/vnd.pypi.integrity.v1+json" },
  });
  if (answer.status === 404) return null;
  const bundles = (answer.json as { attestation_bundles?: unknown } | null)?.attestation_bundles;
  if (answer.status !== 200 || !Array.isArray(bundles)) {
    throw new Error(`${index.name} answered HTTP ${answer.status} at ${url}`);
  }
  return bundles as AttestationBundleEntry[];
}
