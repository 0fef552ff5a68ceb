import type { ReleasePlan } from "./release-plan.js";

/**
 * The OCI annotations users and GitHub read: where it came from, what and when. `created` is
 * the source date (unix seconds), not the clock, so rebuilds carry the same labels.
 */
export function imageLabels(plan: ReleasePlan, sourceDateEpoch: number): Record<string, string> {
  const { project, repository } = plan;
  const source = repository
    ? `https://github.com/${repository.owner}/${repository.name}`
    : project.repositoryUrl;
  const labels: Record<string, string | null> = {
    "org.opencontainers.image.source": source,
    "org.opencontainers.image.revision": plan.commit?.sha ?? null,
    "org.opencontainers.image.version": plan.version.cargo,
    "org.opencontainers.image.created": new Date(sourceDateEpoch * 1000).toISOString(),
    "org.opencontainers.image.title": project.packageName,
    "org.opencontainers.image.description": project.description,
    "org.opencontainers.image.licenses": project.license,
  };
  return Object.fromEntries(
    Object.entries(labels).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}
