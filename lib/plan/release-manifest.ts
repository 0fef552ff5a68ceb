import { PlanError } from "./errors.js";
import { type ReleasePlan, repositoryName } from "./release-plan.js";
import { TARGET_TRIPLES } from "./targets.js";

/** The staged release's record, uploaded last to the draft: its presence means staging finished. */
export const MANIFEST_FILE = "release-manifest.json";
const SCHEMA = 1;

export type StagedKind = "archive" | "sbom" | "checksums" | "wheel" | "sdist";

export interface StagedFile {
  name: string;
  sha256: string;
  size: number;
  kind: StagedKind;
  /** The target triple an archive, SBOM or wheel is for; null for SHA256SUMS and the sdist. */
  target: string | null;
}

/**
 * What a release IS once staged: the plan's essentials and every file's digest. A re-run that
 * finds it on the tag's release publishes these bytes instead of building new ones.
 */
export interface ReleaseManifest {
  schema: typeof SCHEMA;
  tag: string;
  version: { cargo: string; pep440: string };
  commit: string;
  project: { package: string; repository: string };
  files: StagedFile[];
  image: { references: string[]; platforms: string[] } | null;
  python: { project: string; version: string } | null;
}

export interface FileFacts {
  name: string;
  sha256: string;
  size: number;
}

/** Which staged kind a planned file is, and for which target. */
function classify(plan: ReleasePlan, name: string): Pick<StagedFile, "kind" | "target"> {
  const target = plan.targets.find((t) => [t.archive, t.sbom, t.wheel].includes(name));
  if (target?.archive === name) return { kind: "archive", target: target.triple };
  if (target?.sbom === name) return { kind: "sbom", target: target.triple };
  if (target?.wheel === name) return { kind: "wheel", target: target.triple };
  if (name === plan.checksums.file) return { kind: "checksums", target: null };
  if (name === plan.python?.sdist) return { kind: "sdist", target: null };
  throw new PlanError(`${name} is not a file of the release plan of ${plan.tag}`);
}

/** The files a staged release holds: the GitHub assets, then the Python distributions. */
export function stagedFileNames(plan: ReleasePlan): string[] {
  return [
    ...(plan.github?.assets ?? []),
    ...(plan.python?.wheels ?? []),
    ...(plan.python ? [plan.python.sdist] : []),
  ];
}

export function buildReleaseManifest(
  plan: ReleasePlan,
  files: readonly FileFacts[],
): ReleaseManifest {
  if (!plan.commit || !plan.repository) {
    throw new PlanError("staging a release needs its commit (--sha) and repository");
  }
  const expected = stagedFileNames(plan);
  const missing = expected.filter((name) => !files.some((f) => f.name === name));
  if (missing.length > 0)
    throw new PlanError(`cannot stage ${plan.tag}: ${missing.join(", ")} not built`);
  return {
    schema: SCHEMA,
    tag: plan.tag,
    version: { cargo: plan.version.cargo, pep440: plan.version.pep440 },
    commit: plan.commit.sha,
    project: { package: plan.project.packageName, repository: repositoryName(plan.repository) },
    files: expected.map((name) => {
      const facts = files.find((f) => f.name === name) as FileFacts;
      return { name, sha256: facts.sha256, size: facts.size, ...classify(plan, name) };
    }),
    image: plan.image
      ? { references: plan.image.references, platforms: plan.image.platforms }
      : null,
    python: plan.python ? { project: plan.python.project, version: plan.python.version } : null,
  };
}

/** The manifest as uploaded: stable key order and a final newline, so equal manifests are equal bytes. */
export function renderReleaseManifest(manifest: ReleaseManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const KINDS: readonly StagedKind[] = ["archive", "sbom", "checksums", "wheel", "sdist"];

function invalid(reason: string): never {
  throw new PlanError(
    `the tag's release holds a ${MANIFEST_FILE} that cannot be read (${reason}): delete that ` +
      "asset on GitHub (the draft then counts as unstaged) or re-run with --rebuild",
  );
}

/** Reads a manifest found on GitHub, refusing anything not written by this module. */
export function parseReleaseManifest(text: string): ReleaseManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    invalid("not JSON");
  }
  const m = value as Partial<ReleaseManifest>;
  if (typeof m !== "object" || m === null || m.schema !== SCHEMA)
    invalid(`schema is not ${SCHEMA}`);
  if (typeof m.tag !== "string" || typeof m.commit !== "string") invalid("no tag or commit");
  if (
    !m.project ||
    typeof m.project.package !== "string" ||
    typeof m.project.repository !== "string"
  ) {
    invalid("no project");
  }
  if (!m.version || typeof m.version.cargo !== "string") invalid("no version");
  if (!Array.isArray(m.files)) invalid("no files");
  for (const file of m.files) {
    if (
      typeof file?.name !== "string" ||
      !/^[0-9a-f]{64}$/.test(String(file.sha256)) ||
      !Number.isSafeInteger(file.size) ||
      !KINDS.includes(file.kind)
    ) {
      invalid(`a bad file entry ${JSON.stringify(file)}`);
    }
  }
  return m as ReleaseManifest;
}

/** The targets a staged manifest holds archives of, in the table's order. */
function stagedTargets(manifest: ReleaseManifest): string[] {
  const staged = manifest.files.flatMap((f) =>
    f.kind === "archive" && f.target ? [f.target] : [],
  );
  // A triple this version does not know (a manifest from a newer one) sorts last.
  const order = (triple: string) =>
    TARGET_TRIPLES.includes(triple) ? TARGET_TRIPLES.indexOf(triple) : TARGET_TRIPLES.length;
  return staged.sort((a, b) => order(a) - order(b));
}

/**
 * Whether a staged manifest is this run's release: same tag, version, project, commit and
 * targets. A different commit is refused (the tag's release is another build), and so are
 * other targets (resuming would publish what was staged, not what this run asks for); null
 * means it matches.
 */
export function manifestMismatch(manifest: ReleaseManifest, plan: ReleasePlan): string | null {
  const staged = stagedTargets(manifest);
  const planned = plan.targets.map((t) => t.triple);
  const sameTargets =
    staged.length === planned.length && planned.every((triple) => staged.includes(triple));
  const repository = plan.repository ? repositoryName(plan.repository) : null;
  const differences = [
    manifest.tag !== plan.tag && `tag ${manifest.tag}`,
    manifest.version.cargo !== plan.version.cargo && `version ${manifest.version.cargo}`,
    manifest.project.package !== plan.project.packageName && `package ${manifest.project.package}`,
    manifest.project.repository.toLowerCase() !== repository?.toLowerCase() &&
      `repository ${manifest.project.repository}`,
    manifest.commit !== plan.commit?.sha && `commit ${manifest.commit}`,
  ].filter((d): d is string => typeof d === "string");
  if (differences.length === 0 && !sameTargets) {
    return (
      `release ${plan.tag} on GitHub was staged for the targets ${staged.join(", ")}, but this ` +
      `run's targets (from ${plan.targetSource}) are ${planned.join(", ")}. Release the staged ` +
      `targets (--targets ${staged.join(",")}), or, to change them, delete the draft release ` +
      "on GitHub and run again"
    );
  }
  if (differences.length === 0) return null;
  return (
    `release ${plan.tag} on GitHub was staged with ${differences.join(", ")}, but this run is ` +
    `${plan.project.packageName} ${plan.version.cargo} at commit ${plan.commit?.sha ?? "(none)"} ` +
    `of ${repository}. Release the commit the tag names, or, if the staged files are wrong, ` +
    "delete the draft release on GitHub and run again"
  );
}
