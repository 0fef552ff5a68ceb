import { posix } from "node:path";
import type { Target } from "../plan/target.js";
import { shellLine, shellQuote, shellSteps } from "./shell.js";

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

/** Installs a pinned channel (no target): cargo itself must be the crate's own. */
export function rustupToolchainCommand(channel: string): string[] {
  return ["rustup", "toolchain", "install", channel, "--profile", "minimal"];
}

/** The layout of the vendored dependencies: the crates, and the cargo config that uses them. */
export interface VendorLayout {
  /** Where the crates are unpacked (`<dir>/crates`). */
  crates: string;
  /** The `[source]` replacement cargo printed, pointing at `crates` (empty without deps). */
  config: string;
}

/** The vendoring step's output, relative to its directory. */
export const VENDORED: VendorLayout = { crates: "crates", config: "config.toml" };

export function vendorLayout(dir: string): VendorLayout {
  return { crates: posix.join(dir, VENDORED.crates), config: posix.join(dir, VENDORED.config) };
}

/**
 * Fetches and unpacks every locked dependency, for every platform, into `dir`, in ONE step, and
 * writes the cargo config that replaces crates.io (and git sources) with it. Concurrent builds
 * then read these files and never unpack into a shared cargo home at the same time (cargo's
 * package lock lives in each container's own CARGO_HOME, so it would not serialise them).
 * `crates` is created even when there is nothing to vendor (cargo then creates nothing).
 */
export function vendorCommand(dir: string): string[] {
  const { crates, config } = vendorLayout(dir);
  const vendor = shellLine(["cargo", "vendor", "--locked", "--versioned-dirs", crates]);
  return ["sh", "-ec", `${shellLine(["mkdir", "-p", crates])}\n${vendor} > ${shellQuote(config)}`];
}

/** What a build needs of a target: the table's facts and the binaries the plan names. */
export interface BuildTarget extends Target {
  binaries: readonly { name: string; path: string }[];
}

/**
 * Builds the release binaries for one target from the vendored dependencies (`--frozen`: the
 * lock file as committed, no network). Only the named bins are built, so an optional PyO3
 * feature never reaches the CLI build. Zig builds take `buildTarget` (it carries the glibc
 * floor); cargo still writes to `<target dir>/<triple>/release`.
 */
export function cargoBuildCommand(target: BuildTarget): string[] {
  if (target.binaries.length === 0) {
    throw new Error(`${target.triple}: no binaries to build (cargo would build every target)`);
  }
  const binArgs = target.binaries.flatMap((binary) => ["--bin", binary.name]);
  switch (target.toolchain) {
    case "zig":
      return [
        "cargo",
        "zigbuild",
        "--release",
        "--frozen",
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
        "--frozen",
        "--target",
        target.triple,
        ...binArgs,
      ];
  }
}

/**
 * Builds and copies the binaries out of the target directory in ONE step: the target directory
 * is a cache volume that another build of the same target (maturin) may use next, and it could
 * overwrite what cargo uplifted before a separate copy step ran. `outDir` is created here; no
 * image has it.
 */
export function compileCommand(
  target: BuildTarget,
  cargoTargetDir: string,
  outDir: string,
): string[] {
  const built = target.binaries.map((binary) => posix.join(cargoTargetDir, binary.path));
  return shellSteps(
    cargoBuildCommand(target),
    ["mkdir", "-p", outDir],
    ["cp", ...built, `${outDir}/`],
  );
}
