import { type Directory, dag } from "@dagger.io/dagger";
import { SOURCE_IGNORE } from "../../src/source-ignore.js";
import type { PlanRequest } from "../plan/release-plan.js";
import { readPatchedSource } from "../stages/run-context.js";

/**
 * The source tree a release of the tag builds, as a Directory: the tag's version patched into
 * the manifests (requirements and lock included), without what never reaches cargo. The same
 * tree `npm run plan -- --write-source DIR` writes, for running cargo or maturin on it by hand.
 */
export async function patchedSource(source: Directory, request: PlanRequest): Promise<Directory> {
  const patched = await readPatchedSource(source, request);
  return dag.directory().withDirectory("/", patched, { exclude: SOURCE_IGNORE });
}
