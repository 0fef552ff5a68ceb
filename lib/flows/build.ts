import type { Directory } from "@dagger.io/dagger";
import type { TargetPlan } from "../plan/release-plan.js";
import {
  allTargetBinaries,
  archiveDirectory,
  archivesDirectory,
  binariesDirectory,
} from "../stages/binaries.js";
import { pythonDist, pythonPlanOf } from "../stages/python.js";
import { prepareRun, type RunContext, type RunOptions } from "../stages/run-context.js";

/** The one target a call for one target plans (its --target, or the engine's own). */
function onlyTarget(ctx: RunContext): TargetPlan {
  const [target, ...others] = ctx.plan.targets;
  if (!target || others.length > 0) throw new Error("this call builds exactly one target");
  return target;
}

/**
 * What the compile cache did, for functions that return files rather than a report: printed
 * to the call's log (warnings and the hit count; never the cache's address).
 */
function printCompileCache(ctx: RunContext): void {
  for (const note of ctx.compileLog.notes()) console.error(note);
}

/** One target's checked binaries: `build`. Without --target, the engine's own Linux target. */
export async function buildBinaries(source: Directory, options: RunOptions): Promise<Directory> {
  const ctx = await prepareRun(source, { ...options, nativeTargetOnly: true });
  const binaries = await binariesDirectory(ctx, onlyTarget(ctx));
  printCompileCache(ctx);
  return binaries;
}

/** One target's archive: `archive`. Without --target, the engine's own Linux target. */
export async function buildArchive(source: Directory, options: RunOptions): Promise<Directory> {
  const ctx = await prepareRun(source, { ...options, nativeTargetOnly: true });
  const archive = await archiveDirectory(ctx, onlyTarget(ctx));
  printCompileCache(ctx);
  return archive;
}

/** Every target's archive and the checksum file: `release-archives`. */
export async function buildReleaseArchives(
  source: Directory,
  options: RunOptions,
): Promise<Directory> {
  const ctx = await prepareRun(source, options);
  const built = await allTargetBinaries(ctx);
  printCompileCache(ctx);
  return archivesDirectory(ctx, built);
}

/** Which Python distributions a call builds. */
export interface PythonBuild {
  wheels: boolean;
  sdist: boolean;
}

/**
 * The checked wheels (of one target with --target, else every target) and/or the sdist:
 * `wheels`, `sdist` and `python-dist`.
 */
export async function buildPython(
  source: Directory,
  options: RunOptions,
  build: PythonBuild,
): Promise<Directory> {
  const ctx = await prepareRun(source, options);
  pythonPlanOf(ctx);
  const targets = build.wheels ? ctx.plan.targets : [];
  const dist = await pythonDist(ctx, targets, { sdist: build.sdist });
  printCompileCache(ctx);
  return dist.directory;
}
