import type { Container } from "@dagger.io/dagger";
import { alreadyPushed, publishImage } from "../../publishers/registry/index.js";
import { archivedBinaries } from "../../stages/binaries.js";
import { imageTargets, imageVariants } from "../../stages/image.js";
import type { ReleaseArtifacts, ReleaseRun } from "../release-run.js";
import type { Destination } from "./destination.js";

/**
 * The image variants rebuilt from the binaries inside the staged archives (no compile): each
 * archive was verified against the staged manifest, and its binaries are checked again.
 */
async function imageFromArchives(run: ReleaseRun, artifacts: ReleaseArtifacts) {
  const built = await Promise.all(
    imageTargets(run.ctx).map((target) =>
      archivedBinaries(target, artifacts.files.directory.file(target.archive)),
    ),
  );
  return imageVariants(run.ctx, built);
}

/** Which binaries each platform of the image carries, on which base, as a report note. */
function noteVariants(run: ReleaseRun): void {
  const variants = run.ctx.plan.image?.variants ?? [];
  run.report.note(
    `Image platforms: ${variants
      .map((v) => `${v.platform} from ${v.target} (distroless ${v.base})`)
      .join(", ")}.`,
  );
}

/** The multi-arch image on ghcr.io (or --registry), from the release's checked binaries. */
export const image: Destination = {
  name: "Image",
  label(run) {
    const plan = run.ctx.plan.image;
    return plan ? `Image ${plan.repository} (${plan.platforms.join(", ")})` : "Image";
  },

  skip(run) {
    if (run.flags.skipImage) return { outcome: "skipped", reason: "--skip-image" };
    if (!run.ctx.plan.image) {
      return { outcome: "not applicable", reason: run.ctx.plan.noImage ?? "no image planned" };
    }
    return null;
  },

  preview(run) {
    noteVariants(run);
    for (const reference of run.ctx.plan.image?.references ?? []) {
      run.report.add(this.label(run), reference, "would publish");
    }
  },

  async publish(run, artifacts) {
    const { plan } = run.ctx;
    const login = run.registry;
    if (!plan.image || !login || !plan.commit)
      throw new Error("no image, registry login or commit");
    noteVariants(run);
    let variants: Container[];
    if (artifacts.images === "from staged archives") {
      if (await alreadyPushed(login, plan.image, plan.commit.sha)) {
        for (const reference of plan.image.references) {
          run.report.add(
            this.label(run),
            reference,
            "already there",
            `revision ${plan.commit.sha}`,
          );
        }
        return;
      }
      variants = await imageFromArchives(run, artifacts);
    } else variants = artifacts.images;
    const pushed = await publishImage({ ...login, references: plan.image.references, variants });
    for (const reference of pushed) {
      const [name, digest] = reference.split("@");
      run.report.add(this.label(run), name ?? reference, "published", digest ?? "");
      // Every reference names the same index; the provenance signs its digest.
      run.signed.imageDigest ??= digest ?? null;
    }
  },
};
