import { PlanError } from "./errors.js";
import type { SupportedBindings } from "./python-project.js";
import type { ContainerPlatform, ImageBase, Target } from "./target.js";

/** maturin builds both kinds of wheel this pipeline ships for every target below. */
const ANY_WHEEL: readonly SupportedBindings[] = ["pyo3", "bin"];
/** glibc 2.17, the floor of the binaries and of maturin's manylinux2014 wheels. */
const MANYLINUX2014 = "manylinux2014";
/** musl 1.2, the policy of maturin's musllinux wheels. */
const MUSLLINUX = "musllinux_1_2";
/** lld-link stamps the link time into PE headers unless told not to. */
const REPRODUCIBLE_PE = ["-C", "link-arg=/Brepro"];

/**
 * Every target this pipeline can build: the one table of how each is built, named and checked.
 * The first five are the default release (see DEFAULT_TARGET_TRIPLES); a project chooses others
 * in its Cargo.toml (see target-selection.ts). A row's facts were each checked by a real build
 * of the sample crate, except what needs the MSVC CRT (docs/targets.md says which).
 */
export const TARGETS: readonly Target[] = [
  {
    triple: "x86_64-unknown-linux-gnu",
    os: "linux",
    arch: "x86_64",
    abi: "gnu",
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: "linux/amd64",
    imageBase: "cc",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "x86_64-unknown-linux-gnu.2.17",
    glibcFloor: "2.17",
    macosDeploymentTarget: null,
    maturinCompatibility: MANYLINUX2014,
    wheelPlatformTag: "manylinux2014_x86_64.manylinux_2_17_x86_64",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    triple: "aarch64-unknown-linux-gnu",
    os: "linux",
    arch: "aarch64",
    abi: "gnu",
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: "linux/arm64",
    imageBase: "cc",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "aarch64-unknown-linux-gnu.2.17",
    glibcFloor: "2.17",
    macosDeploymentTarget: null,
    maturinCompatibility: MANYLINUX2014,
    wheelPlatformTag: "manylinux2014_aarch64.manylinux_2_17_aarch64",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    triple: "x86_64-apple-darwin",
    os: "macos",
    arch: "x86_64",
    abi: null,
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: null,
    imageBase: null,
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "x86_64-apple-darwin",
    glibcFloor: null,
    macosDeploymentTarget: "10.12",
    maturinCompatibility: null,
    wheelPlatformTag: "macosx_10_12_x86_64",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: true,
  },
  {
    triple: "aarch64-apple-darwin",
    os: "macos",
    arch: "aarch64",
    abi: null,
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: null,
    imageBase: null,
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "aarch64-apple-darwin",
    glibcFloor: null,
    macosDeploymentTarget: "11.0",
    maturinCompatibility: null,
    wheelPlatformTag: "macosx_11_0_arm64",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: true,
  },
  {
    triple: "x86_64-pc-windows-msvc",
    os: "windows",
    arch: "x86_64",
    abi: "msvc",
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: null,
    imageBase: null,
    archiveFormat: "zip",
    exeSuffix: ".exe",
    toolchain: "xwin",
    buildTarget: "x86_64-pc-windows-msvc",
    glibcFloor: null,
    macosDeploymentTarget: null,
    maturinCompatibility: null,
    wheelPlatformTag: "win_amd64",
    wheelBindings: ANY_WHEEL,
    rustflags: REPRODUCIBLE_PE,
    rewriteMachoUuid: false,
  },
  {
    // zig links musl statically: no glibc floor, and a binary for any Linux (and the static base).
    triple: "x86_64-unknown-linux-musl",
    os: "linux",
    arch: "x86_64",
    abi: "musl",
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: "linux/amd64",
    imageBase: "static",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "x86_64-unknown-linux-musl",
    glibcFloor: null,
    macosDeploymentTarget: null,
    maturinCompatibility: MUSLLINUX,
    wheelPlatformTag: "musllinux_1_2_x86_64",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    triple: "aarch64-unknown-linux-musl",
    os: "linux",
    arch: "aarch64",
    abi: "musl",
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: "linux/arm64",
    imageBase: "static",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "aarch64-unknown-linux-musl",
    glibcFloor: null,
    macosDeploymentTarget: null,
    maturinCompatibility: MUSLLINUX,
    wheelPlatformTag: "musllinux_1_2_aarch64",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    // cargo-xwin's default CRT download holds arm64 next to x86_64: the same cache serves both.
    triple: "aarch64-pc-windows-msvc",
    os: "windows",
    arch: "aarch64",
    abi: "msvc",
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: null,
    imageBase: null,
    archiveFormat: "zip",
    exeSuffix: ".exe",
    toolchain: "xwin",
    buildTarget: "aarch64-pc-windows-msvc",
    glibcFloor: null,
    macosDeploymentTarget: null,
    maturinCompatibility: null,
    wheelPlatformTag: "win_arm64",
    wheelBindings: ANY_WHEEL,
    rustflags: REPRODUCIBLE_PE,
    rewriteMachoUuid: false,
  },
  {
    // ARMv7 with hardware floating point (Debian's armhf, Raspberry Pi OS 32-bit).
    triple: "armv7-unknown-linux-gnueabihf",
    os: "linux",
    arch: "armv7",
    abi: "gnu",
    bits: 32,
    endianness: "little",
    floatAbi: "hard",
    platform: "linux/arm/v7",
    imageBase: "cc",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "armv7-unknown-linux-gnueabihf.2.17",
    glibcFloor: "2.17",
    macosDeploymentTarget: null,
    maturinCompatibility: MANYLINUX2014,
    wheelPlatformTag: "manylinux2014_armv7l.manylinux_2_17_armv7l",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    // No image: distroless publishes no linux/386 base.
    triple: "i686-unknown-linux-gnu",
    os: "linux",
    arch: "x86",
    abi: "gnu",
    bits: 32,
    endianness: "little",
    floatAbi: null,
    platform: "linux/386",
    imageBase: null,
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "i686-unknown-linux-gnu.2.17",
    glibcFloor: "2.17",
    macosDeploymentTarget: null,
    maturinCompatibility: MANYLINUX2014,
    wheelPlatformTag: "manylinux2014_i686.manylinux_2_17_i686",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    // glibc 2.34, not 2.17: zig provides no ppc64le glibc below 2.19 and builds its libunwind
    // with IEEE 128-bit long double, which needs 2.32; maturin's next policy is manylinux_2_34.
    triple: "powerpc64le-unknown-linux-gnu",
    os: "linux",
    arch: "ppc64le",
    abi: "gnu",
    bits: 64,
    endianness: "little",
    floatAbi: null,
    platform: "linux/ppc64le",
    imageBase: "cc",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "powerpc64le-unknown-linux-gnu.2.34",
    glibcFloor: "2.34",
    macosDeploymentTarget: null,
    maturinCompatibility: "manylinux_2_34",
    wheelPlatformTag: "manylinux_2_34_ppc64le",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
  {
    triple: "s390x-unknown-linux-gnu",
    os: "linux",
    arch: "s390x",
    abi: "gnu",
    bits: 64,
    endianness: "big",
    floatAbi: null,
    platform: "linux/s390x",
    imageBase: "cc",
    archiveFormat: "tar.gz",
    exeSuffix: "",
    toolchain: "zig",
    buildTarget: "s390x-unknown-linux-gnu.2.17",
    glibcFloor: "2.17",
    macosDeploymentTarget: null,
    maturinCompatibility: MANYLINUX2014,
    wheelPlatformTag: "manylinux2014_s390x.manylinux_2_17_s390x",
    wheelBindings: ANY_WHEEL,
    rustflags: [],
    rewriteMachoUuid: false,
  },
];

export const TARGET_TRIPLES: readonly string[] = TARGETS.map((t) => t.triple);

/** What a project releases when it chooses nothing: the seed's five targets. */
export const DEFAULT_TARGET_TRIPLES: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** Looks a target up by triple; an unknown one is refused with the list of valid ones. */
export function findTarget(triple: string): Target {
  const target = TARGETS.find((t) => t.triple === triple);
  if (!target) {
    throw new PlanError(`unknown target "${triple}": choose one of ${TARGET_TRIPLES.join(", ")}`);
  }
  return target;
}

export const DEFAULT_TARGETS: readonly Target[] = DEFAULT_TARGET_TRIPLES.map(findTarget);

/** One platform of the release image: the target whose binaries it carries, on which base. */
export interface ImageVariant {
  platform: ContainerPlatform;
  target: string;
  base: ImageBase;
}

/**
 * The image's platforms, from the given targets (in their order): each Linux target with a
 * base gives its platform; where two give the same one (gnu and musl of an architecture), the
 * statically linked binary wins: it needs nothing from the base, so the smaller `static` one.
 */
export function imageVariants(targets: readonly Target[]): ImageVariant[] {
  const variants: ImageVariant[] = [];
  for (const target of targets) {
    if (target.platform === null || target.imageBase === null) continue;
    const variant = { platform: target.platform, target: target.triple, base: target.imageBase };
    const taken = variants.findIndex((v) => v.platform === target.platform);
    if (taken === -1) variants.push(variant);
    else if (variant.base === "static") variants[taken] = variant;
  }
  return variants;
}
