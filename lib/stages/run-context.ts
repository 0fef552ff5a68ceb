import { type Directory, ExistsType } from "@dagger.io/dagger";
import type { BinaryManifests } from "../plan/binary-manifests.js";
import { PlanError } from "../plan/errors.js";
import type { SourceReader } from "../plan/project-files.js";
import {
  type PlanRequest,
  type PreparedRelease,
  type ReleasePlan,
  readRelease,
} from "../plan/release-plan.js";
import {
  type CompileCache,
  type CompileCacheFlags,
  CompileCacheLog,
  prepareCompileCache,
} from "./compile-cache.js";
import { enginePlatform, type ToolchainInput, vendoredDependencies } from "./toolchain.js";

/** Archives and images carry this time unless the commit's is given: zip's earliest date. */
export const FIXED_EPOCH = 315532800;

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
    isFile(path) {
      return source.exists(path, { expectedType: ExistsType.RegularType });
    },
  };
}

/** The plan of a source directory, read through the engine: `dagger call plan`. */
export async function readPlan(source: Directory, request: PlanRequest): Promise<ReleasePlan> {
  return (await readRelease(directoryReader(source), request)).plan;
}

/**
 * One call's release: the plan, and beside it what the builds need that is not plan data (the
 * patched source, the source date, the engine's platform, the cache namespace, the vendored
 * dependencies). Made once per call; stages take it, or it and one of the plan's targets.
 */
export interface RunContext extends ToolchainInput {
  plan: ReleasePlan;
  /** Timestamp for archive entries, wheels and image metadata (unix seconds). */
  sourceDateEpoch: number;
  /** The engine's own platform, `os/arch`: its binary and wheel are run, its image smoke-tested. */
  nativePlatform: string;
  /** --compile-cache, parsed (never part of the plan); null without the flag. */
  compileCache: CompileCache | null;
  /** What each compile step said about the compile cache, for the report. */
  compileLog: CompileCacheLog;
  /** Manifests the binaries' build reads in place of the source's (plan/binary-manifests.ts). */
  binaryManifests: BinaryManifests;
}

/** What every function that builds takes: the plan's request and the module's flags. */
export interface RunOptions extends PlanRequest, CompileCacheFlags {
  sourceDateEpoch?: number | null;
  /**
   * Without --target or --platform, build only one target: the one the image uses on the
   * engine's platform.
   */
  nativeTargetOnly?: boolean;
}

function sourceDate(value: number | null | undefined): number {
  const epoch = value ?? FIXED_EPOCH;
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new PlanError(
      `invalid --source-date-epoch ${epoch}: give whole unix seconds, e.g. $(git log -1 --format=%ct)`,
    );
  }
  return epoch;
}

/** The source with the tag's version written into its manifests (lazy). */
function patchedSource(source: Directory, prepared: PreparedRelease): Directory {
  return Object.entries(prepared.patchedFiles).reduce(
    (dir, [path, text]) => dir.withNewFile(path, text),
    source,
  );
}

/** The source as the builds of a call get it: planned (bad input fails here), then patched. */
export async function readPatchedSource(
  source: Directory,
  request: PlanRequest,
): Promise<Directory> {
  return patchedSource(source, await readRelease(directoryReader(source), request));
}

/**
 * Reads the project (each file once), plans the call's release (the tag parsed once) and sets
 * up what its builds share. Bad input fails here, before any work.
 */
export async function prepareRun(source: Directory, options: RunOptions): Promise<RunContext> {
  const sourceDateEpoch = sourceDate(options.sourceDateEpoch);
  const compileCache = await prepareCompileCache(options);
  const nativePlatform = await enginePlatform();
  const prepared = await readRelease(directoryReader(source), {
    ...options,
    nativePlatform: options.nativeTargetOnly ? nativePlatform : null,
  });
  const { plan } = prepared;
  const toolchain = {
    source: patchedSource(source, prepared),
    channel: plan.project.toolchain?.channel ?? null,
    cacheNamespace: `rust-release-${plan.project.packageName}`,
  };
  return {
    ...toolchain,
    vendored: vendoredDependencies(toolchain),
    plan,
    sourceDateEpoch,
    nativePlatform,
    compileCache,
    compileLog: new CompileCacheLog(compileCache?.label ?? null),
    binaryManifests: prepared.binaryManifests,
  };
}
