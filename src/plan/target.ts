/** How a target is cross-compiled from a Linux container. */
export type Toolchain = "zig" | "xwin";

/** One release target: everything the stages need to build, check and name its artifacts. */
export interface Target {
  triple: string;
  os: "linux" | "macos" | "windows";
  arch: "x86_64" | "aarch64";
  /** The container platform that runs this binary (Linux only: the image is built from it). */
  platform: "linux/amd64" | "linux/arm64" | null;
  archiveFormat: "tar.gz" | "zip";
  exeSuffix: "" | ".exe";
  toolchain: Toolchain;
  /**
   * What cargo-zigbuild is given as `--target`: Linux gnu targets carry the glibc floor
   * (manylinux2014 = glibc 2.17). Output paths stay under the plain triple.
   */
  buildTarget: string;
  /** The newest glibc symbol version the binary may need, for Linux gnu targets. */
  glibcFloor: string | null;
  /**
   * MACOSX_DEPLOYMENT_TARGET for macOS builds: the oldest macOS the binary runs on, and what
   * maturin writes into the wheel tag, so binaries and wheels agree.
   */
  macosDeploymentTarget: string | null;
  /** The platform part of the wheel tag maturin produces for this target (abi3 and bin alike). */
  wheelPlatformTag: string;
  /**
   * rustc flags this target's builds need to give the same bytes twice: lld-link stamps the
   * link time into PE headers unless told `/Brepro`.
   */
  rustflags: string[];
  /**
   * Whether the linker's Mach-O UUID must be rewritten from the binary's other bytes: zig's
   * differs between two clean builds of the same source.
   */
  rewriteMachoUuid: boolean;
}

/**
 * The environment a build for `target` runs with, binaries and wheels alike: the macOS floor
 * (maturin also writes it into the wheel tag) and the target's rustflags, as cargo's per-target
 * variable: cargo joins it with a project's `[target.<triple>] rustflags`, and cargo-xwin (also
 * inside maturin) adds its own flags to it. RUSTFLAGS would replace the project's flags.
 */
export function cargoTargetEnvironment(target: Target): Record<string, string> {
  const env: Record<string, string> = {};
  if (target.macosDeploymentTarget !== null) {
    env.MACOSX_DEPLOYMENT_TARGET = target.macosDeploymentTarget;
  }
  if (target.rustflags.length > 0) {
    const key = target.triple.toUpperCase().replaceAll("-", "_");
    env[`CARGO_TARGET_${key}_RUSTFLAGS`] = target.rustflags.join(" ");
  }
  return env;
}
