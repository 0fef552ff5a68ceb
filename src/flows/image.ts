import type { Container, Directory, Secret } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import {
  imageRepository,
  imageTags,
  parseCommitSha,
  parseRegistry,
  parseRepository,
} from "../plan/image-tags.js";
import { targetForPlatform } from "../plan/targets.js";
import { parseTag } from "../plan/version.js";
import { publishImage } from "../publishers/registry.js";
import { targetBinaries } from "../stages/binaries.js";
import {
  contextLabels,
  imageVariants,
  linuxBinaries,
  runtimeImage,
  smokeTestImage,
} from "../stages/image.js";
import { buildContext } from "../stages/source.js";
import { enginePlatform } from "../stages/toolchain.js";

export interface SingleImageOptions {
  platform: string | null;
  cargoPackage: string | null;
  tag: string | null;
  sha: string | null;
  repository: string | null;
  sourceDateEpoch: number | null;
}

/** The image for one platform, to load locally, inspect or publish by hand. */
export async function singleImage(
  source: Directory,
  options: SingleImageOptions,
): Promise<Container> {
  const target = targetForPlatform(options.platform ?? (await enginePlatform()));
  const ctx = await buildContext(source, options);
  const built = await targetBinaries(ctx, target);
  return runtimeImage(ctx, built, contextLabels(ctx, options.repository, options.sha));
}

export interface ImagePublishOptions {
  cargoPackage: string | null;
  /** A release tag; without one this is a main-branch build (`latest` and `sha-<7>`). */
  tag: string | null;
  sha: string;
  repository: string;
  imageName: string | null;
  /** The registry host, e.g. ghcr.io. */
  registry: string;
  latestOnRelease: boolean;
  username: string | null;
  password: Secret | null;
  dryRun: boolean;
  sourceDateEpoch: number | null;
}

/**
 * The image and the references a publication will push, decided (and checked) before any build.
 */
export function imageReferences(options: ImagePublishOptions): {
  image: string;
  references: string[];
} {
  const repository = parseRepository(options.repository);
  const commit = parseCommitSha(options.sha);
  const image = imageRepository(repository, options.imageName, options.registry);
  const channel = options.tag
    ? { kind: "release" as const, version: parseTag(options.tag) }
    : { kind: "main" as const };
  const tags = imageTags(channel, {
    shortSha: commit.short,
    latestOnRelease: options.latestOnRelease,
  });
  return { image, references: tags.map((tag) => `${image}:${tag}`) };
}

/**
 * Builds both platforms, smoke-tests the native one and pushes every reference (or, dry, says
 * what it would push). Bad input and missing credentials fail before anything is built.
 */
export async function publishImages(
  source: Directory,
  options: ImagePublishOptions,
): Promise<string[]> {
  const { image, references } = imageReferences(options);
  if (!options.dryRun && !options.password) {
    throw new PlanError(
      `pushing ${image} needs --registry-password: for ghcr.io in GitHub Actions pass ` +
        "env://GITHUB_TOKEN with `permissions: packages: write`",
    );
  }
  const ctx = await buildContext(source, options);
  const labels = contextLabels(ctx, options.repository, options.sha);
  const built = await linuxBinaries(ctx);
  const variants = imageVariants(ctx, built, labels);
  const native = await enginePlatform();
  const nativeVariant = variants[built.findIndex((b) => b.target.platform === native)];
  if (nativeVariant) await smokeTestImage(ctx, nativeVariant);
  await Promise.all(variants.map((v) => v.sync()));
  if (options.dryRun || !options.password) {
    return references.map((reference) => `${reference} (dry run: not pushed)`);
  }
  return publishImage({
    references,
    variants,
    registry: parseRegistry(options.registry),
    username: options.username ?? parseRepository(options.repository).owner,
    password: options.password,
  });
}
