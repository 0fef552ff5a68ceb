import { type Container, type Directory, dag, type Platform } from "@dagger.io/dagger";
import { rustupTargetCommand } from "../commands/cargo-build.js";
import { checkDistCommand } from "../commands/check-dist.js";
import {
  maturinAfterBinariesCommand,
  maturinBuildCommand,
  maturinSdistCommand,
} from "../commands/maturin.js";
import { smokeTestCommand } from "../commands/python-smoke.js";
import { importLibraryDir, python3ImplibCommand } from "../commands/python3-implib.js";
import { twineCheckCommand } from "../commands/twine.js";
import { PlanError } from "../plan/errors.js";
import type { PythonPlan } from "../plan/python-plan.js";
import type { TargetPlan } from "../plan/release-plan.js";
import { withBinaryManifestsAside } from "./binary-manifests.js";
import { compileStep } from "./compile-cache.js";
import { explainFailure, settleAll } from "./exec-errors.js";
import { IMAGES, MATURIN_REQUIREMENT } from "./images.js";
import type { RunContext } from "./run-context.js";
import { withScripts } from "./scripts.js";
import { requireMacosSdk, SOURCE_DIR, toolchainContainer } from "./toolchain.js";
import { withUv } from "./uv.js";

const DIST = "/dist";

/** The Python artifacts of the plan, or a clear error when the project has none. */
export function pythonPlanOf(ctx: RunContext): PythonPlan {
  const python = ctx.plan.python;
  if (!python) {
    throw new PlanError(
      `"${ctx.plan.project.packageName}" has no wheels or sdist to build: ${ctx.plan.noPython}. ` +
        "A pure Rust release publishes only the archives and the image",
    );
  }
  return python;
}

/**
 * maturin in the target's toolchain container: the same source and the same per-target cargo
 * target directory as the binaries, so dependencies compiled once are reused. It runs in the
 * directory of pyproject.toml (maturin resolves manifest-path from there).
 */
function maturinContainer(ctx: RunContext, target: TargetPlan): Container {
  const { dir } = pythonPlanOf(ctx).pyproject;
  return (
    // The toolchain container sets SOURCE_DATE_EPOCH: maturin dates the wheel's entries and its
    // SBOM with it, and then leaves out the SBOM's random serial number (the same source gives
    // the same wheel).
    withUv(ctx, toolchainContainer(ctx, target))
      .withExec(["uv", "tool", "install", MATURIN_REQUIREMENT])
      .withExec(rustupTargetCommand(target, ctx.channel))
      .withWorkdir(dir === "" ? SOURCE_DIR : `${SOURCE_DIR}/${dir}`)
  );
}

/**
 * A Windows wheel's container gets python3.dll's import library the way the plan says: pyo3's
 * own feature (added to maturin's), or made here from the module's pinned python3.def, with
 * PYO3_CROSS_LIB_DIR pointing pyo3 at it.
 */
function withImportLibrary(ctx: RunContext, target: TargetPlan, container: Container) {
  const windows = target.os === "windows" ? pythonPlanOf(ctx).windows : null;
  if (windows?.way !== "python3.def") return { container, features: windows?.features ?? [] };
  return {
    container: withScripts(container)
      .withExec(python3ImplibCommand(target))
      .withEnvVariable("PYO3_CROSS_LIB_DIR", importLibraryDir(target)),
    features: windows.features,
  };
}

/**
 * The container that built one target's wheel into `wheelOutput(target)` (lazy). With
 * `afterBinaries` (a release, which builds the target's binaries anyway), a zig target's wheel
 * step runs the binaries' build first and maturin reuses it (maturinAfterBinariesCommand).
 */
function wheelBuild(ctx: RunContext, target: TargetPlan, afterBinaries: boolean): Container {
  const { container, features } = withImportLibrary(ctx, target, maturinContainer(ctx, target));
  const maturin = maturinBuildCommand(target, wheelOutput(target), features);
  const shared = afterBinaries && target.toolchain === "zig" && target.binaries.length > 0;
  if (!shared) return compileStep(ctx, target, container, maturin);
  const aside = withBinaryManifestsAside(ctx, withScripts(container));
  const command = maturinAfterBinariesCommand(target, maturin, SOURCE_DIR, aside.dir);
  return compileStep(ctx, target, aside.container, command);
}

function wheelOutput(target: TargetPlan): string {
  return `/wheels/${target.triple}`;
}

/** The directory `maturin sdist` writes into, outside the crate so nothing stray is packed. */
export function sdistDirectory(ctx: RunContext, target: TargetPlan): Directory {
  return maturinContainer(ctx, target).withExec(maturinSdistCommand("/sdist")).directory("/sdist");
}

export interface PythonDist {
  /** The checked files, by name. */
  directory: Directory;
  wheels: { target: TargetPlan; name: string }[];
  sdist: string | null;
  /** Every file name, wheels then sdist. */
  files: string[];
}

/**
 * Builds the wheels of `targets` (rows of the plan; all of them for a release) and the sdist,
 * and checks them before anything can publish them: file names and tags, METADATA versions,
 * `twine check`, and a clean install of the wheel the engine can run natively (import,
 * and the console script or executable).
 */
export async function pythonDist(
  ctx: RunContext,
  targets: readonly TargetPlan[],
  options: { sdist: boolean; afterBinaries?: boolean },
): Promise<PythonDist> {
  const python = pythonPlanOf(ctx);
  const wheels = targets.map((target) => {
    if (!target.wheel) throw new Error(`the plan names no wheel for ${target.triple}`);
    const build = wheelBuild(ctx, target, options.afterBinaries ?? false);
    return { target, name: target.wheel, build, directory: build.directory(wheelOutput(target)) };
  });
  // The sdist needs no cross toolchain: it is made in the engine platform's container.
  const sdistBuilder =
    ctx.plan.targets.find((t) => t.platform === ctx.nativePlatform) ?? ctx.plan.targets[0];
  const sdistDir = options.sdist && sdistBuilder ? sdistDirectory(ctx, sdistBuilder) : null;
  await Promise.all(targets.map(requireMacosSdk));
  // Every build's failure is reported, not only the first one's.
  await settleAll([
    ...wheels.map(({ target, build, directory }) => ({
      label: target.triple,
      run: explainFailure(async () => {
        await directory.sync();
        await ctx.compileLog.record(`${target.triple} wheel`, build);
      }, `${target.triple}: maturin build`),
    })),
    ...(sdistDir
      ? [
          {
            label: "sdist",
            run: explainFailure(async () => {
              await sdistDir.sync();
            }, "maturin sdist"),
          },
        ]
      : []),
  ]);
  let dist = dag.directory();
  for (const wheel of wheels) dist = dist.withDirectory("/", wheel.directory);
  if (sdistDir) dist = dist.withDirectory("/", sdistDir);
  const sdist = sdistDir ? python.sdist : null;
  const files = [...wheels.map((w) => w.name), ...(sdist ? [sdist] : [])];

  const checked = withScripts(withUv(ctx, dag.container().from(IMAGES.python)))
    .withDirectory(DIST, dist)
    .withExec(
      checkDistCommand({
        version: python.version,
        project: python.project,
        wheels: wheels.map((w) => ({
          path: `${DIST}/${w.name}`,
          platformTag: w.target.wheelPlatformTag,
          pythonTag: python.wheelTags.python,
          abiTag: python.wheelTags.abi,
          executables: w.target.binaries
            .filter((b) => python.executables.includes(b.name))
            .map((b) => b.file),
        })),
        sdist: sdist ? { path: `${DIST}/${sdist}` } : null,
      }),
    )
    .withExec(twineCheckCommand(files.map((f) => `${DIST}/${f}`)));

  // The pinned python image runs on glibc: it installs a manylinux wheel, never a musllinux one.
  const smokeWheel = wheels.find(
    (w) => w.target.platform === ctx.nativePlatform && w.target.abi === "gnu",
  );
  const smoke = smokeWheel
    ? withScripts(dag.container({ platform: ctx.nativePlatform as Platform }).from(IMAGES.python))
        .withFile(`/wheel/${smokeWheel.name}`, dist.file(smokeWheel.name))
        .withExec(
          smokeTestCommand({
            ...python.smokeTest,
            wheel: `/wheel/${smokeWheel.name}`,
            version: ctx.plan.version.cargo,
          }),
        )
    : null;
  await explainFailure(() => Promise.all([checked.sync(), smoke?.sync()]));
  return {
    directory: checked.directory(DIST),
    wheels: wheels.map(({ target, name }) => ({ target, name })),
    sdist,
    files,
  };
}
