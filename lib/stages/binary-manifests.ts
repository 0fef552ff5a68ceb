import { type Container, type Directory, dag } from "@dagger.io/dagger";
import type { RunContext } from "./run-context.js";

/** Where a release's shared wheel step finds the binaries' manifests (see python.ts). */
export const BINARY_MANIFESTS_DIR = "/rust-release-binary-manifests";

/** The manifests the binaries' build reads in place of the source's (plan/binary-manifests.ts). */
function binaryManifests(ctx: RunContext): Directory | null {
  const entries = Object.entries(ctx.binaryManifests);
  if (entries.length === 0) return null;
  return entries.reduce((dir, [path, text]) => dir.withNewFile(path, text), dag.directory());
}

/** `container` with the binaries' manifests written over its source at `sourceDir`. */
export function withBinaryManifests(ctx: RunContext, container: Container, sourceDir: string) {
  const manifests = binaryManifests(ctx);
  return manifests ? container.withDirectory(sourceDir, manifests) : container;
}

/**
 * `container` with the binaries' manifests beside the source, for a step that builds the
 * binaries and then the wheel (container-scripts/maturin-after-zigbuild.sh swaps them in for
 * the cargo line only); the directory, or null when the binaries read the source's own.
 */
export function withBinaryManifestsAside(
  ctx: RunContext,
  container: Container,
): { container: Container; dir: string | null } {
  const manifests = binaryManifests(ctx);
  if (!manifests) return { container, dir: null };
  return {
    container: container.withDirectory(BINARY_MANIFESTS_DIR, manifests),
    dir: BINARY_MANIFESTS_DIR,
  };
}
