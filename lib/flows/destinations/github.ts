import { MANIFEST_FILE, stagedFileNames } from "../../plan/release-manifest.js";
import { publishStagedRelease, stageGithubRelease } from "../../publishers/github/index.js";
import type { ReleaseRun } from "../release-run.js";
import { describeFile, githubRelease, noteManifest } from "./describe.js";
import type { Destination, Skip } from "./destination.js";

function notStaged(run: ReleaseRun): Skip | null {
  if (run.flags.skipGithub) return { outcome: "skipped", reason: "--skip-github" };
  if (!run.ctx.plan.github) {
    return { outcome: "not applicable", reason: "the release names no GitHub repository" };
  }
  return null;
}

/** Every file and, last, the manifest, on the tag's draft release: the release's record. */
export const githubStaging: Destination = {
  name: "GitHub staging",
  label: (run) => `${githubRelease(run.ctx.plan)} (draft)`,

  skip(run) {
    const skipped = notStaged(run);
    if (skipped || run.mode.kind !== "resume") return skipped;
    const { manifest } = run.mode;
    return {
      outcome: "already there",
      reason: "staged by an earlier run",
      artifacts: manifest.files.map((file) => ({
        name: file.name,
        detail: describeFile(manifest, file.name),
      })),
    };
  },

  preview(run, { manifest }) {
    const label = this.label(run);
    for (const name of [...stagedFileNames(run.ctx.plan), MANIFEST_FILE]) {
      run.report.add(label, name, "would stage", describeFile(manifest, name));
    }
    if (manifest) noteManifest(run.report, manifest, "not uploaded");
  },

  async publish(run, { files, manifest, manifestPath }) {
    const { plan } = run.ctx;
    const label = this.label(run);
    if (!run.github || !plan.github || !manifest || !manifestPath) {
      throw new Error("staging needs the repository, a token and the manifest");
    }
    if (run.mode.kind === "build" && run.mode.staged === "replaced by --rebuild") {
      run.report.note(
        "Rebuilt (--rebuild): the files staged earlier were compared with this build's.",
      );
    }
    const staged = await stageGithubRelease({
      ...run.github,
      commit: plan.commit?.sha ?? null,
      name: plan.github.releaseName,
      prerelease: plan.github.prerelease,
      makeLatest: plan.github.makeLatest,
      assets: stagedFileNames(plan).map((name) => ({ name, path: files.paths[name] ?? "" })),
      manifest: { name: MANIFEST_FILE, path: manifestPath },
      replaceChangedAssets: run.flags.replaceChangedAssets ?? false,
    });
    for (const asset of staged.assets) {
      const outcome = asset.status === "already-there" ? "already there" : "staged";
      const replaced = asset.status === "replaced" ? "  (replaced a different earlier copy)" : "";
      const detail = describeFile(manifest, asset.name) || asset.digest;
      run.report.add(label, asset.name, outcome, `${detail}${replaced}`);
    }
    noteManifest(run.report, manifest, staged.url);
  },
};

/** Draft -> public, last: `releases/latest` never points at a release with a part missing. */
export const githubPublic: Destination = {
  name: "GitHub Release",
  label: (run) => githubRelease(run.ctx.plan),
  skip: notStaged,
  stopped: (failed) => `stays a draft: ${failed} failed`,

  preview(run) {
    const latest = run.ctx.plan.github?.makeLatest;
    run.report.add(
      this.label(run),
      run.ctx.plan.tag,
      "would publish",
      `draft -> public last, make_latest ${latest}`,
    );
  },

  async publish(run) {
    const release = run.ctx.plan.github;
    if (!run.github || !release) throw new Error("publishing needs the repository and a token");
    const published = await publishStagedRelease({
      ...run.github,
      name: release.releaseName,
      prerelease: release.prerelease,
      makeLatest: release.makeLatest,
    });
    const flip = published.flipped ? `draft -> public, make_latest ${release.makeLatest}  ` : "";
    const outcome = published.flipped ? "published" : "already there";
    run.report.add(this.label(run), run.ctx.plan.tag, outcome, `${flip}${published.url}`);
  },
};
