import { type Container, dag, type Platform, ReturnType } from "@dagger.io/dagger";
import { imageLabels } from "../plan/image-labels.js";
import { targetPlan } from "../plan/release-plan.js";
import type { TargetBinaries } from "./binaries.js";
import { settleAll } from "./exec-errors.js";
import { RUNTIME_BASES, RUNTIME_USER } from "./images.js";
import type { RunContext } from "./run-context.js";

const BIN_DIR = "/usr/local/bin";

/**
 * The release image for one platform: the SAME checked Linux binaries the archives hold, copied
 * onto the pinned base they need (distroless `static` for a musl binary, `cc` for glibc).
 * Nothing runs on the image's platform, so no emulation is involved.
 */
export function runtimeImage(ctx: RunContext, built: TargetBinaries): Container {
  const { target } = built;
  if (!target.platform || !target.imageBase) {
    throw new Error(`${target.triple} has no container platform or image base`);
  }
  // One layer whose every entry (usr/, usr/local/, usr/local/bin/ and the binaries) carries the
  // source date, not the time of this build: withFile on the image would stamp the clock.
  const layer = built.binaries
    .reduce(
      (dir, { binary, file }) =>
        dir.withFile(`${BIN_DIR}/${binary.file}`, file, { permissions: 0o755 }),
      dag.directory(),
    )
    .withTimestamps(ctx.sourceDateEpoch);
  let image = dag
    .container({ platform: target.platform as Platform })
    .from(RUNTIME_BASES[target.imageBase])
    .withDirectory("/", layer);
  for (const [name, value] of Object.entries(imageLabels(ctx.plan, ctx.sourceDateEpoch))) {
    image = image.withLabel(name, value);
  }
  const entrypoint = target.binaries.find((b) => b.name === ctx.plan.project.primaryBin);
  return image
    .withUser(RUNTIME_USER)
    .withWorkdir("/")
    .withEntrypoint([`${BIN_DIR}/${entrypoint?.file ?? ctx.plan.project.primaryBin}`]);
}

/**
 * Runs the image's entrypoint with --version on the engine's own platform: proves the base has
 * what the binary links and that the unprivileged user can run it. A CLI without --version is
 * not held to it.
 */
export async function smokeTestImage(ctx: RunContext, image: Container): Promise<void> {
  const version = ctx.plan.version.cargo;
  const run = image.withExec(["--version"], { useEntrypoint: true, expect: ReturnType.Any });
  const [code, stdout, stderr] = await Promise.all([run.exitCode(), run.stdout(), run.stderr()]);
  if (code === 0 && !stdout.split(/\s+/).includes(version)) {
    throw new Error(`the image's \`--version\` printed "${stdout.trim()}", expected ${version}`);
  }
  if (code !== 0 && /not found|exec format|permission denied|GLIBC/i.test(stderr)) {
    throw new Error(
      `the image cannot run its binary: ${stderr.trim().split("\n").slice(-3).join(" ")}`,
    );
  }
}

/**
 * The image's variants, one per platform the plan's image has, from the given targets'
 * checked binaries; the native one is smoke-tested and every variant is built before this
 * returns, so nothing unbuildable reaches a registry.
 */
export async function imageVariants(
  ctx: RunContext,
  built: readonly TargetBinaries[],
): Promise<Container[]> {
  const variants = (ctx.plan.image?.variants ?? []).map(({ platform, target }) => {
    const binaries = built.find((b) => b.target.triple === target);
    if (!binaries) throw new Error(`the image for ${platform} needs the binaries of ${target}`);
    return { platform, image: runtimeImage(ctx, binaries) };
  });
  const native = variants.find((v) => v.platform === ctx.nativePlatform);
  if (native) await smokeTestImage(ctx, native.image);
  await settleAll(variants.map((v) => ({ label: v.platform, run: v.image.sync() })));
  return variants.map((v) => v.image);
}

/** The plan's rows for the image's variants: what a resumed release unpacks from archives. */
export function imageTargets(ctx: RunContext) {
  return (ctx.plan.image?.variants ?? []).map((variant) => targetPlan(ctx.plan, variant.target));
}
