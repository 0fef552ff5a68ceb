import { type Container, dag, type Platform, ReturnType } from "@dagger.io/dagger";
import { imageLabels } from "../plan/image-labels.js";
import { parseCommitSha, parseRepository } from "../plan/image-tags.js";
import { binaryFileName } from "../plan/names.js";
import { primaryBinary } from "../plan/release-plan.js";
import { TARGETS } from "../plan/targets.js";
import { type TargetBinaries, targetBinaries } from "./binaries.js";
import { settleAll } from "./exec-errors.js";
import { IMAGES, RUNTIME_USER } from "./images.js";
import type { BuildContext } from "./source.js";

const BIN_DIR = "/usr/local/bin";

/** The image's OCI labels for this build, the repository and the commit (when known). */
export function contextLabels(
  ctx: BuildContext,
  repository: string | null,
  sha: string | null,
): Record<string, string> {
  return imageLabels({
    manifest: ctx.manifest,
    version: ctx.version,
    repository: repository ? parseRepository(repository) : null,
    commit: sha ? parseCommitSha(sha).sha : null,
    sourceDateEpoch: ctx.sourceDateEpoch,
  });
}

/**
 * The release image for one platform: the SAME checked Linux binaries the archives hold, copied
 * onto the pinned base. Nothing runs on the image's platform, so no emulation is involved.
 */
export function runtimeImage(
  ctx: BuildContext,
  built: TargetBinaries,
  labels: Record<string, string>,
): Container {
  const { target } = built;
  if (!target.platform) throw new Error(`${target.triple} has no container platform`);
  // One layer whose every entry (usr/, usr/local/, usr/local/bin/ and the binaries) carries the
  // source date, not the time of this build: withFile on the image would stamp the clock.
  const layer = built.binaries
    .reduce(
      (dir, { name, file }) =>
        dir.withFile(`${BIN_DIR}/${binaryFileName(name, target)}`, file, { permissions: 0o755 }),
      dag.directory(),
    )
    .withTimestamps(ctx.sourceDateEpoch);
  let image = dag
    .container({ platform: target.platform as Platform })
    .from(IMAGES.runtime)
    .withDirectory("/", layer);
  for (const [name, value] of Object.entries(labels)) image = image.withLabel(name, value);
  return image
    .withUser(RUNTIME_USER)
    .withWorkdir("/")
    .withEntrypoint([`${BIN_DIR}/${primaryBinary(ctx.manifest)}`]);
}

/**
 * Runs the image's entrypoint with --version on the engine's own platform: proves the base has
 * what the binary links and that the unprivileged user can run it. A CLI without --version is
 * not held to it.
 */
export async function smokeTestImage(ctx: BuildContext, image: Container): Promise<void> {
  const run = image.withExec(["--version"], { useEntrypoint: true, expect: ReturnType.Any });
  const [code, stdout, stderr] = await Promise.all([run.exitCode(), run.stdout(), run.stderr()]);
  if (code === 0 && !stdout.split(/\s+/).includes(ctx.version)) {
    throw new Error(
      `the image's \`--version\` printed "${stdout.trim()}", expected ${ctx.version}`,
    );
  }
  if (code !== 0 && /not found|exec format|permission denied|GLIBC/i.test(stderr)) {
    throw new Error(
      `the image cannot run its binary: ${stderr.trim().split("\n").slice(-3).join(" ")}`,
    );
  }
}

/** The image for every container platform (linux/amd64, linux/arm64), from already-built binaries. */
export function imageVariants(
  ctx: BuildContext,
  built: readonly TargetBinaries[],
  labels: Record<string, string>,
): Container[] {
  return built.filter((b) => b.target.platform).map((b) => runtimeImage(ctx, b, labels));
}

/** Builds the Linux binaries the image needs (the same values the archives are made from). */
export function linuxBinaries(ctx: BuildContext): Promise<TargetBinaries[]> {
  return settleAll(
    TARGETS.filter((t) => t.platform).map((t) => ({
      label: t.triple,
      run: targetBinaries(ctx, t),
    })),
  );
}
