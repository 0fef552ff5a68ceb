import { type Container, dag, type Platform, type Secret } from "@dagger.io/dagger";

/** How to log in to a registry: credentials reach the engine only as a Secret. */
export interface RegistryLogin {
  registry: string;
  username: string;
  password: Secret;
}

export interface ImagePublication extends RegistryLogin {
  /** Full references to push, e.g. ghcr.io/octo/app:v1.2.3. */
  references: string[];
  /** One container per platform; they form one multi-arch image. */
  variants: Container[];
}

/**
 * Pushes the multi-arch image under every reference. The credentials reach the engine only
 * through withRegistryAuth, as a Secret. Returns each reference with the digest it points at.
 */
export async function publishImage(publication: ImagePublication): Promise<string[]> {
  const publisher = dag
    .container()
    .withRegistryAuth(publication.registry, publication.username, publication.password);
  const pushed: string[] = [];
  // One at a time: the first push uploads the layers, the others only add a tag.
  for (const reference of publication.references) {
    pushed.push(await publisher.publish(reference, { platformVariants: publication.variants }));
  }
  return pushed;
}

export const REVISION_LABEL = "org.opencontainers.image.revision";

/** An engine error that means the reference is not in the registry (as opposed to a failure). */
function isNotFound(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not found|manifest unknown|name unknown|no match for platform/i.test(message);
}

/**
 * The commit each platform of a reference was built from, as its revision label says, or null
 * when the registry does not hold that reference (or that platform of it). Reading the image's
 * config needs no pull of its layers.
 */
export async function pushedRevisions(
  login: RegistryLogin,
  reference: string,
  platforms: readonly string[],
): Promise<Record<string, string | null>> {
  const revisions = await Promise.all(
    platforms.map(async (platform) => {
      try {
        const revision = await dag
          .container({ platform: platform as Platform })
          .withRegistryAuth(login.registry, login.username, login.password)
          .from(reference)
          .label(REVISION_LABEL);
        return [platform, revision || null] as const;
      } catch (error) {
        if (isNotFound(error)) return [platform, null] as const;
        throw error;
      }
    }),
  );
  return Object.fromEntries(revisions);
}

/**
 * Whether the registry already holds every reference on every platform, built from `commit`
 * (the revision label says so): then a resumed release pushes nothing again.
 */
export async function alreadyPushed(
  login: RegistryLogin,
  image: { references: readonly string[]; platforms: readonly string[] },
  commit: string,
): Promise<boolean> {
  const revisions = await Promise.all(
    image.references.map((reference) => pushedRevisions(login, reference, image.platforms)),
  );
  return revisions.every((byPlatform) =>
    Object.values(byPlatform).every((revision) => revision === commit),
  );
}

export {
  type AttachedBundle,
  attachBundle,
  attachedBundles,
  type ImageAccess,
  type ImageStatement,
  indexDigest,
  RegistryError,
  signImage,
} from "./signatures.js";
