import type { Container, Directory } from "@dagger.io/dagger";
import { stagedFileNames } from "../plan/release-manifest.js";
import type { ReleasePlan } from "../plan/release-plan.js";
import { TARGETS } from "../plan/targets.js";
import { allTargetBinaries, archivesDirectory, type TargetBinaries } from "../stages/binaries.js";
import { contextLabels, imageVariants, smokeTestImage } from "../stages/image.js";
import { type PythonDist, pythonDist } from "../stages/python.js";
import { type BuildContext, buildContext } from "../stages/source.js";
import { enginePlatform } from "../stages/toolchain.js";
import { collectBuilt, type ReleaseFiles } from "./release-files.js";
import type { ReleaseRun } from "./release-preflight.js";

export interface Built {
  ctx: BuildContext;
  /** The archives and SHA256SUMS. */
  releaseAssets: Directory;
  /** The image's variants, from the same checked binaries (none with --skip-image). */
  images: Container[];
  python: PythonDist | null;
}

/**
 * Builds and checks every artifact; any failure here means nothing has been published. The
 * Python distributions are built whenever the project has them (even with --skip-pypi): they
 * are part of what the release is, and staged with it.
 */
export async function buildAll({ source, pre, options }: ReleaseRun): Promise<Built> {
  const ctx = await buildContext(source, options);
  const native = await enginePlatform();
  const [built, python] = await Promise.all([
    allTargetBinaries(ctx, native),
    pre.plan.python ? pythonDist(ctx, TARGETS, { sdist: true, nativePlatform: native }) : null,
  ]);
  const releaseAssets = archivesDirectory(ctx, built);
  const images = options.skipImage ? [] : releaseImages(ctx, built, pre.plan);
  const linux = built.filter((b) => b.target.platform);
  const nativeImage = images[linux.findIndex((b) => b.target.platform === native)];
  if (nativeImage) await smokeTestImage(ctx, nativeImage);
  await Promise.all([releaseAssets.sync(), ...images.map((image) => image.sync())]);
  return { ctx, releaseAssets, images, python };
}

/** The image variants, from the same checked binaries the archives hold. */
function releaseImages(ctx: BuildContext, built: TargetBinaries[], plan: ReleasePlan): Container[] {
  const labels = contextLabels(ctx, plan.repository, plan.commit?.sha ?? null);
  return imageVariants(
    ctx,
    built.filter((b) => b.target.platform),
    labels,
  );
}

/** The built files of the release, in this runtime and in the engine, hashed. */
export function collect(built: Built, plan: ReleasePlan, dir: string): Promise<ReleaseFiles> {
  const directories = [built.releaseAssets, ...(built.python ? [built.python.directory] : [])];
  return collectBuilt(directories, stagedFileNames(plan), dir);
}
