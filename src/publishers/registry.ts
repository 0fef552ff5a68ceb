import { type Container, dag, type Secret } from "@dagger.io/dagger";

export interface ImagePublication {
  /** Full references to push, e.g. ghcr.io/octo/app:v1.2.3. */
  references: string[];
  /** One container per platform; they form one multi-arch image. */
  variants: Container[];
  registry: string;
  username: string;
  password: Secret;
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
