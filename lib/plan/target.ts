import type { SupportedBindings } from "./python-project.js";

/** How a target is cross-compiled from a Linux container. */
export type Toolchain = "zig" | "xwin";

/** An OCI platform a Linux binary runs on. */
export type ContainerPlatform =
  | "linux/amd64"
  | "linux/arm64"
  | "linux/arm/v7"
  | "linux/386"
  | "linux/ppc64le"
  | "linux/s390x";

/**
 * What the release image's base must provide for a target's binaries: nothing (`static`: a
 * statically linked binary, on distroless `static`) or glibc and libgcc (`cc`: distroless
 * `cc`). The bases are pinned in stages/images.ts.
 */
export type ImageBase = "static" | "cc";

/**
 * One release target: everything the stages need to build, check and name its artifacts.
 * Adding a target is adding a row to the table in targets.ts (and its tests).
 */
export interface Target {
  triple: string;
  os: "linux" | "macos" | "windows";
  /** The architecture as the binary check names it (check_binary.py). */
  arch: "x86_64" | "aarch64" | "x86" | "armv7" | "ppc64le" | "s390x";
  /**
   * How the binary links, which the check enforces: `gnu` through glibc's loader (and no symbol
   * above `glibcFloor`), `musl` statically (no interpreter, no shared libraries), `msvc` a
   * Windows console executable; null for macOS.
   */
  abi: "gnu" | "musl" | "msvc" | null;
  /** ELF class / PE32 or PE32+. */
  bits: 32 | 64;
  /** The ELF byte order. */
  endianness: "little" | "big";
  /** 32-bit Arm only: the float ABI the ELF header must record. */
  floatAbi: "hard" | null;
  /** The container platform that runs this binary (Linux only). */
  platform: ContainerPlatform | null;
  /**
   * The base the release image puts this target's binaries on; null when the image has no
   * variant from it (not Linux, or no pinned base publishes its platform, as for linux/386).
   */
  imageBase: ImageBase | null;
  archiveFormat: "tar.gz" | "zip";
  exeSuffix: "" | ".exe";
  toolchain: Toolchain;
  /**
   * What cargo-zigbuild is given as `--target`: Linux gnu targets carry the glibc floor
   * (`.2.17` = manylinux2014). Output paths stay under the plain triple.
   */
  buildTarget: string;
  /** The newest glibc symbol version the binary may need, for Linux gnu targets. */
  glibcFloor: string | null;
  /**
   * MACOSX_DEPLOYMENT_TARGET for macOS builds: the oldest macOS the binary runs on, and what
   * maturin writes into the wheel tag, so binaries and wheels agree.
   */
  macosDeploymentTarget: string | null;
  /**
   * maturin's `--compatibility` for the wheel (Linux): the manylinux policy of the glibc floor,
   * or musllinux; null where maturin takes no policy (macOS, Windows).
   */
  maturinCompatibility: string | null;
  /** The platform part of the wheel tag maturin produces for this target (abi3 and bin alike). */
  wheelPlatformTag: string;
  /** The maturin bindings whose wheels this pipeline can build for the target. */
  wheelBindings: readonly SupportedBindings[];
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
