import type { Target } from "../plan/targets.js";

/**
 * Installs the target's standard library for whatever toolchain the crate selects: a
 * `rust-toolchain.toml` channel does not inherit the targets the image installed for its default.
 */
export function rustupTargetCommand(target: Target): string[] {
  return ["rustup", "target", "add", target.triple];
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
