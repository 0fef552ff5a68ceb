import type { Container, Directory } from "@dagger.io/dagger";
import { stagedFileNames } from "../plan/release-manifest.js";
import { allTargetBinaries, archivesDirectory } from "../stages/binaries.js";
import { imageVariants } from "../stages/image.js";
import { type PythonDist, pythonDist } from "../stages/python.js";
import type { RunContext } from "../stages/run-context.js";
import { collectBuilt, type ReleaseFiles } from "./release-files.js";

export interface Built {
  /** The archives, the SBOM beside each, and the checksum file. */
  releaseAssets: Directory;
  /** The image's variants, from the same checked binaries (none with --skip-image). */
  images: Container[];
  python: PythonDist | null;
}

/**
 * Builds and checks every artifact the plan names; any failure here means nothing has been
 * published. The Python distributions are built whenever the project has them (even with
 * --skip-pypi): they are part of what the release is, and staged with it.
 */
export async function buildAll(ctx: RunContext, options: { skipImage?: boolean }): Promise<Built> {
  const [built, python] = await Promise.all([
    allTargetBinaries(ctx),
    // The wheels reuse the binaries' compile in each target's shared directory.
    ctx.plan.python
      ? pythonDist(ctx, ctx.plan.targets, { sdist: true, afterBinaries: true })
      : null,
  ]);
  const [images, releaseAssets] = await Promise.all([
    options.skipImage ? [] : imageVariants(ctx, built),
    archivesDirectory(ctx, built),
  ]);
  return { releaseAssets, images, python };
}

/** The built files of the release, in this runtime and in the engine, hashed. */
export function collect(ctx: RunContext, built: Built, dir: string): Promise<ReleaseFiles> {
  const directories = [built.releaseAssets, ...(built.python ? [built.python.directory] : [])];
  return collectBuilt(directories, stagedFileNames(ctx.plan), dir);
}
