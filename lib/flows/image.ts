import type { Container, Directory, Secret } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import { publishImage } from "../publishers/registry/index.js";
import { targetBinaries } from "../stages/binaries.js";
import { settleAll } from "../stages/exec-errors.js";
import { imageTargets, imageVariants, runtimeImage } from "../stages/image.js";
import { prepareRun, type RunOptions } from "../stages/run-context.js";

/** The image for one platform (`image`), to load locally, inspect or publish by hand. */
export async function singleImage(source: Directory, options: RunOptions): Promise<Container> {
  const ctx = await prepareRun(source, { ...options, nativeTargetOnly: true });
  const [target] = ctx.plan.targets;
  if (!target?.platform || !target.imageBase) {
    throw new PlanError("the image is built from a Linux target with an image base");
  }
  const built = await targetBinaries(ctx, target);
  for (const note of ctx.compileLog.notes()) console.error(note);
  return runtimeImage(ctx, built);
}

export interface ImagePublishOptions extends RunOptions {
  registryUsername?: string | null;
  registryPassword?: Secret | null;
}

/**
 * Builds the image's platforms from their Linux binaries, smoke-tests the native one and pushes
 * every reference the plan names (or, dry, says what it would push): `publish-image`. Without
 * --tag it is a main-branch build (`latest`, `sha-<7>`). Bad input and missing credentials
 * fail before anything is built.
 */
export async function publishImages(
  source: Directory,
  options: ImagePublishOptions,
): Promise<string[]> {
  const ctx = await prepareRun(source, { ...options, mainBranch: !options.tag });
  const { image, repository } = ctx.plan;
  if (!image || !repository) {
    throw new PlanError(`there is no image to publish: ${ctx.plan.noImage ?? "no repository"}`);
  }
  if (!options.dryRun && !options.registryPassword) {
    throw new PlanError(
      `pushing ${image.repository} needs --registry-password: for ghcr.io in GitHub Actions ` +
        "pass env://GITHUB_TOKEN with `permissions: packages: write`",
    );
  }
  const built = await settleAll(
    imageTargets(ctx).map((t) => ({ label: t.triple, run: targetBinaries(ctx, t) })),
  );
  for (const note of ctx.compileLog.notes()) console.error(note);
  const variants = await imageVariants(ctx, built);
  if (options.dryRun || !options.registryPassword) {
    return image.references.map((reference) => `${reference} (dry run: not pushed)`);
  }
  return publishImage({
    references: image.references,
    variants,
    registry: image.registry,
    username: options.registryUsername ?? repository.owner,
    password: options.registryPassword,
  });
}
