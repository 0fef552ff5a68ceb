import { targetBinaries } from "../../lib/plan/names.js";
import type { ProjectFiles } from "../../lib/plan/project-files.js";
import { type PlanRequest, prepareRelease, type ReleasePlan } from "../../lib/plan/release-plan.js";
import { findTarget } from "../../lib/plan/targets.js";

/** A plan request together with the project files it is made from. */
export interface PlanInput extends PlanRequest {
  files: ProjectFiles;
}

/** The plan prepareRelease makes of these files for this request. */
export async function planFor({ files, ...request }: PlanInput): Promise<ReleasePlan> {
  return (await prepareRelease(files, request)).plan;
}

/** A target's row as the stages get it from a plan: the table's facts and these binaries. */
export function targetRow(triple: string, bins: readonly string[]) {
  const target = findTarget(triple);
  return { ...target, binaries: targetBinaries(target, bins) };
}

/** Project files as the reader would give them: the manifests given, nothing else around. */
export function projectFiles(
  files: Pick<ProjectFiles, "cargoToml" | "cargoLock"> & Partial<ProjectFiles>,
): ProjectFiles {
  return {
    pyproject: null,
    noPythonReason: null,
    rustToolchain: null,
    members: {},
    sourceFiles: ["src/main.rs"],
    maturinManifest: null,
    pythonPackages: [],
    docs: [],
    ...files,
  };
}

/** The text of the project's pyproject.toml (the one the plan builds from). */
export function pyprojectText(files: ProjectFiles): string {
  if (!files.pyproject) throw new Error("the project has no pyproject.toml");
  return files.pyproject.text;
}

/** The project files with another text for the pyproject.toml the plan builds from. */
export function withPyproject(files: ProjectFiles, text: string): ProjectFiles {
  if (!files.pyproject) throw new Error("the project has no pyproject.toml");
  return { ...files, pyproject: { ...files.pyproject, text } };
}
