import type { Target } from "../plan/targets.js";

/**
 * Installs the target's standard library for whatever toolchain the crate selects: a
 * `rust-toolchain.toml` channel does not inherit the targets the image installed for its default.
 * With a pinned channel the toolchain itself is installed first, explicitly: recent rustup no
 * longer installs a toolchain file's channel on first use.
 */
export function rustupTargetCommand(target: Target, channel: string | null = null): string[] {
  return channel
    ? ["rustup", "toolchain", "install", channel, "--profile", "minimal", "--target", target.triple]
    : ["rustup", "target", "add", target.triple];
}

/**
 * Builds the release binaries for one target. Only the named bins are built, so an optional
 * PyO3 feature never reaches the CLI build. Zig builds take `buildTarget` (it carries the glibc
 * floor); cargo still writes to `target/<triple>/release`.
 */
export function cargoBuildCommand(target: Target, bins: readonly string[]): string[] {
  if (bins.length === 0) {
    throw new Error(`${target.triple}: no binaries to build (cargo would build every target)`);
  }
  const binArgs = bins.flatMap((bin) => ["--bin", bin]);
  switch (target.toolchain) {
    case "zig":
      return [
        "cargo",
        "zigbuild",
        "--release",
        "--locked",
        "--target",
        target.buildTarget,
        ...binArgs,
      ];
    case "xwin":
      return [
        "cargo",
        "xwin",
        "build",
        "--release",
        "--locked",
        "--target",
        target.triple,
        ...binArgs,
      ];
  }
}
