import { PlanError } from "./errors.js";
import type { Target } from "./target.js";

/** Every target this pipeline can build: the one table of how each is built, named and checked. */
export const TARGETS: readonly Target[] = [
  {
    triple: "x86_64-unknown-linux-gnu",
    os: "linux",
    arch: "x86_64",
    platform: "linux/amd64",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "x86_64-unknown-linux-gnu.2.17",
    glibcFloor: "2.17",
    macosDeploymentTarget: null,
    wheelPlatformTag: "manylinux2014_x86_64.manylinux_2_17_x86_64",
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    triple: "aarch64-unknown-linux-gnu",
    os: "linux",
    arch: "aarch64",
    platform: "linux/arm64",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "aarch64-unknown-linux-gnu.2.17",
    glibcFloor: "2.17",
    macosDeploymentTarget: null,
    wheelPlatformTag: "manylinux2014_aarch64.manylinux_2_17_aarch64",
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    triple: "x86_64-apple-darwin",
    os: "macos",
    arch: "x86_64",
    platform: null,
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "x86_64-apple-darwin",
    glibcFloor: null,
    macosDeploymentTarget: "10.12",
    wheelPlatformTag: "macosx_10_12_x86_64",
    rustflags: [],
    rewriteMachoUuid: true,
  },
  {
    triple: "aarch64-apple-darwin",
    os: "macos",
    arch: "aarch64",
    platform: null,
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "aarch64-apple-darwin",
    glibcFloor: null,
    macosDeploymentTarget: "11.0",
    wheelPlatformTag: "macosx_11_0_arm64",
    rustflags: [],
    rewriteMachoUuid: true,
  },
  {
    triple: "x86_64-pc-windows-msvc",
    os: "windows",
    arch: "x86_64",
    platform: null,
    archiveFormat: "zip",
    exeSuffix: ".exe",
    toolchain: "xwin",
    buildTarget: "x86_64-pc-windows-msvc",
    glibcFloor: null,
    macosDeploymentTarget: null,
    wheelPlatformTag: "win_amd64",
    rustflags: ["-C", "link-arg=/Brepro"],
    rewriteMachoUuid: false,
  },
];

export const TARGET_TRIPLES: readonly string[] = TARGETS.map((t) => t.triple);

/** Looks a target up by triple; an unknown one is refused with the list of valid ones. */
export function findTarget(triple: string): Target {
  const target = TARGETS.find((t) => t.triple === triple);
  if (!target) {
    throw new PlanError(`unknown target "${triple}": choose one of ${TARGET_TRIPLES.join(", ")}`);
  }
  return target;
}

/**
 * The targets a call builds: the one `--target` names, the Linux one of `--platform`, or all.
 */
export function selectTargets(only: {
  triple?: string | null;
  platform?: string | null;
}): readonly Target[] {
  if (only.triple) return [findTarget(only.triple)];
  if (only.platform) return [targetForPlatform(only.platform)];
  return TARGETS;
}

/** The Linux target whose binaries run on a container platform (for the image). */
export function targetForPlatform(platform: string): Target {
  const target = TARGETS.find((t) => t.platform === platform);
  if (!target) {
    const platforms = TARGETS.flatMap((t) => (t.platform ? [t.platform] : []));
    throw new PlanError(
      `unsupported platform "${platform}": the image is built for ${platforms.join(" and ")}`,
    );
  }
  return target;
}
