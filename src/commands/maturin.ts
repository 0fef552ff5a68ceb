import type { Target } from "../plan/target.js";

/**
 * Builds the wheel for one target into `outDir` (an abi3 extension, or the executables of a bin
 * project), run where pyproject.toml is: maturin finds the crate there, or through its
 * `manifest-path`. Features and the module name are not repeated here: maturin reads them from
 * pyproject's `[tool.maturin]`; `extraFeatures` are added to them (pyo3's import library for
 * Windows). Zig targets link through zig (`--zig`); for `*-windows-msvc` maturin drives cargo-xwin itself
 * when it runs on Linux. Linux wheels take the row's policy (`--compatibility`): the manylinux
 * of the binaries' glibc floor, or musllinux; maturin tags the wheel with it and refuses one
 * that needs more. macOS wheels take their tag from MACOSX_DEPLOYMENT_TARGET, which the
 * toolchain container sets to `target.macosDeploymentTarget`. `--frozen`: the dependencies are
 * the vendored ones, as for the binaries.
 */
export function maturinBuildCommand(
  target: Target,
  outDir: string,
  extraFeatures: readonly string[] = [],
): string[] {
  const toolchain = target.toolchain === "zig" ? ["--zig"] : [];
  const compatibility =
    target.maturinCompatibility === null ? [] : ["--compatibility", target.maturinCompatibility];
  const features = extraFeatures.length > 0 ? ["--features", extraFeatures.join(",")] : [];
  return [
    "maturin",
    "build",
    "--release",
    "--frozen",
    "--target",
    target.triple,
    "--out",
    outDir,
    ...toolchain,
    ...compatibility,
    ...features,
  ];
}

/**
 * Builds the sdist into `outDir`, run where pyproject.toml is. `outDir` must lie outside the
 * crate: without a `.git` to read ignores from, maturin packs every file under the crate (cargo's
 * package list), old wheels included.
 */
export function maturinSdistCommand(outDir: string): string[] {
  return ["maturin", "sdist", "--out", outDir];
}
