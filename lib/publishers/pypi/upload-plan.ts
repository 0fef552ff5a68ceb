import { PypiPublishError } from "./errors.js";
import type { PackageIndex } from "./package-index.js";

export interface LocalDistribution {
  /** The wheel's or sdist's file name, which is its identity on the index. */
  name: string;
  sha256: string;
}

export interface UploadConflict {
  name: string;
  /** sha256 of the local file. */
  local: string;
  /** sha256 of the file the index already has under that name. */
  remote: string;
}

export interface UploadPlan {
  /** Not on the index yet: to upload. */
  upload: string[];
  /** On the index with the same content: nothing to do (PyPI would answer 200 anyway). */
  alreadyThere: string[];
  /** On the index with other content: PyPI refuses these (400 "File already exists"). */
  conflicts: UploadConflict[];
}

/** Why a conflict cannot be repaired on the index: PyPI's documented file-name rule. */
export function fileNameReuseRule(index: PackageIndex): string {
  return (
    `${index.name} never accepts a changed file under a name it already has, and a file name ` +
    "can never be used again, even after the file or the release is deleted: deleting files " +
    "does not help."
  );
}

/** Sorts local files against what the index holds, in the order of `local`. */
export function planUploads(
  local: readonly LocalDistribution[],
  existing: ReadonlyMap<string, string>,
): UploadPlan {
  const plan: UploadPlan = { upload: [], alreadyThere: [], conflicts: [] };
  for (const file of local) {
    const remote = existing.get(file.name);
    if (remote === undefined) plan.upload.push(file.name);
    else if (remote.toLowerCase() === file.sha256.toLowerCase()) plan.alreadyThere.push(file.name);
    else plan.conflicts.push({ name: file.name, local: file.sha256, remote });
  }
  return plan;
}

/**
 * The refusal for files whose names the index already holds with other content. Rebuilt wheels
 * are rarely byte-identical, so this is what a naive re-run of a published release runs into.
 */
export function uploadConflictError(
  conflicts: readonly UploadConflict[],
  where: { index: PackageIndex; project: string; version: string },
): PypiPublishError {
  const { index, project, version } = where;
  const count = conflicts.length === 1 ? "1 file" : `${conflicts.length} files`;
  const list = conflicts.map(
    (conflict) =>
      `  - ${conflict.name}: local sha256 ${conflict.local}, on ${index.name} ${conflict.remote}`,
  );
  return new PypiPublishError(
    [
      `${count} of ${project} ${version} already exist on ${index.name} with different content:`,
      ...list,
      fileNameReuseRule(index),
      `Bump the version and release it with a new tag; ${project} ${version} stays as it is on ` +
        `${index.name}.`,
    ].join("\n"),
  );
}
