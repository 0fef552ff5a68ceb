import type { Repository } from "./image-tags.js";
import type { ProjectManifest } from "./manifest.js";

export interface ImageLabelInput {
  manifest: Pick<ProjectManifest, "packageName" | "description" | "license" | "repositoryUrl">;
  version: string;
  repository: Repository | null;
  commit: string | null;
  /** Unix seconds; `created` comes from the commit, not the clock, so rebuilds are identical. */
  sourceDateEpoch: number;
}

/** The OCI annotations users and GitHub read: where it came from, what and when. */
export function imageLabels(input: ImageLabelInput): Record<string, string> {
  const { manifest, repository } = input;
  const source = repository
    ? `https://github.com/${repository.owner}/${repository.name}`
    : manifest.repositoryUrl;
  const labels: Record<string, string | null> = {
    "org.opencontainers.image.source": source,
    "org.opencontainers.image.revision": input.commit,
    "org.opencontainers.image.version": input.version,
    "org.opencontainers.image.created": new Date(input.sourceDateEpoch * 1000).toISOString(),
    "org.opencontainers.image.title": manifest.packageName,
    "org.opencontainers.image.description": manifest.description,
    "org.opencontainers.image.licenses": manifest.license,
  };
  return Object.fromEntries(
    Object.entries(labels).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}
