import { type Directory, ExistsType } from "@dagger.io/dagger";
import type { ProjectFiles } from "../plan/manifest.js";
import { loadProjectFiles, type SourceReader } from "../plan/project-files.js";
import { buildReleasePlan, type PlanInput, type ReleasePlan } from "../plan/release-plan.js";

/** Reads a Dagger Directory the way the plan reads any source tree. */
export function directoryReader(source: Directory): SourceReader {
  return {
    async read(path) {
      const exists = await source.exists(path, { expectedType: ExistsType.RegularType });
      return exists ? source.file(path).contents() : null;
    },
    async glob(pattern) {
      return (await source.glob(pattern)).map((p) => p.replace(/\/$/, ""));
    },
  };
}

export function readProjectFiles(source: Directory): Promise<ProjectFiles> {
  return loadProjectFiles(directoryReader(source));
}

/** The release plan of a source directory. */
export async function planRelease(
  source: Directory,
  input: Omit<PlanInput, "files">,
): Promise<ReleasePlan> {
  return buildReleasePlan({ ...input, files: await readProjectFiles(source) });
}
