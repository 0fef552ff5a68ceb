import { MANIFEST_FILE, type ReleaseManifest } from "../../plan/release-manifest.js";
import { type ReleasePlan, repositoryName } from "../../plan/release-plan.js";
import type { ReleaseReport } from "../report.js";

/** A staged file as the report describes it: kind, target and digest. */
export function describeFile(manifest: ReleaseManifest | null, name: string): string {
  const file = manifest?.files.find((f) => f.name === name);
  return file ? `${file.kind}${file.target ? ` ${file.target}` : ""}  sha256:${file.sha256}` : "";
}

/** The staged manifest's summary, as a note under the report. */
export function noteManifest(report: ReleaseReport, manifest: ReleaseManifest, where: string) {
  report.note(
    `Staged manifest (${MANIFEST_FILE}, ${where}): ${manifest.tag} of ` +
      `${manifest.project.package}, cargo ${manifest.version.cargo}` +
      `${manifest.python ? `, python ${manifest.python.version}` : ""}, commit ` +
      `${manifest.commit}, ${manifest.files.length} files`,
  );
}

/** The GitHub Release as the report names it. */
export function githubRelease(plan: ReleasePlan): string {
  return plan.repository
    ? `GitHub Release ${repositoryName(plan.repository)} ${plan.tag}`
    : "GitHub Release";
}
