import type { Container, Directory, Secret } from "@dagger.io/dagger";
import { parseRepository } from "../plan/image-tags.js";
import { archiveName } from "../plan/names.js";
import { primaryBinary, type ReleasePlan } from "../plan/release-plan.js";
import { TARGETS } from "../plan/targets.js";
import { publishImage, pushedRevisions, type RegistryLogin } from "../publishers/registry.js";
import { archivedBinaries } from "../stages/binaries.js";
import { contextLabels, imageVariants, smokeTestImage } from "../stages/image.js";
import type { BuildContext } from "../stages/source.js";
import { enginePlatform } from "../stages/toolchain.js";
import type { ReleaseReport } from "./report.js";

export function imageDestination(plan: ReleasePlan): string {
  return `Image ${plan.image?.repository} (${plan.image?.platforms.join(", ")})`;
}

export function registryLogin(
  plan: ReleasePlan,
  username: string | null,
  password: Secret,
): RegistryLogin {
  if (!plan.image || !plan.repository) throw new Error(`${plan.tag} plans no image to push`);
  const { owner } = parseRepository(plan.repository);
  return { registry: plan.image.registry, username: username ?? owner, password };
}

/**
 * Whether the registry already holds every reference of the plan, on every platform, built from
 * this commit (the revision label says so): then a resumed release pushes nothing again.
 */
export async function imageAlreadyPushed(
  plan: ReleasePlan,
  login: RegistryLogin,
): Promise<boolean> {
  const image = plan.image;
  const commit = plan.commit?.sha;
  if (!image || !commit) return false;
  const revisions = await Promise.all(
    image.references.map((reference) => pushedRevisions(login, reference, image.platforms)),
  );
  return revisions.every((byPlatform) =>
    Object.values(byPlatform).every((revision) => revision === commit),
  );
}

/**
 * The image variants rebuilt from the binaries inside the staged archives (no compile): each
 * archive was verified against the staged manifest, and its binaries are checked again.
 */
export async function imageFromArchives(
  ctx: BuildContext,
  plan: ReleasePlan,
  archives: Directory,
): Promise<Container[]> {
  const linux = TARGETS.filter((t) => t.platform);
  const built = await Promise.all(
    linux.map((target) =>
      archivedBinaries(
        ctx,
        target,
        archives.file(archiveName(primaryBinary(ctx.manifest), target)),
      ),
    ),
  );
  const variants = imageVariants(
    ctx,
    built,
    contextLabels(ctx, plan.repository, plan.commit?.sha ?? null),
  );
  const native = await enginePlatform();
  const nativeVariant = variants[built.findIndex((b) => b.target.platform === native)];
  if (nativeVariant) await smokeTestImage(ctx, nativeVariant);
  await Promise.all(variants.map((variant) => variant.sync()));
  return variants;
}

/** Pushes the variants under every reference of the plan and reports each with its digest. */
export async function pushImage(
  plan: ReleasePlan,
  login: RegistryLogin,
  variants: Container[],
  report: ReleaseReport,
): Promise<void> {
  const pushed = await publishImage({
    ...login,
    references: plan.image?.references ?? [],
    variants,
  });
  for (const reference of pushed) {
    const [name, digest] = reference.split("@");
    report.add(imageDestination(plan), name ?? reference, "published", digest ?? "");
  }
}
