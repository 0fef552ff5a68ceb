import type { Target } from "../plan/target.js";
import { type BuildTarget, cargoBuildCommand } from "./cargo-build.js";
import { SCRIPTS_DIR } from "./python.js";
import { shellLine } from "./shell.js";

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

/**
 * A release's wheel for a zig target: the binaries' exact `cargo zigbuild` first, then maturin
 * with the linker and compiler wrappers cargo-zigbuild wrote
 * (container-scripts/maturin-after-zigbuild.sh), so the wheel reuses what the binaries
 * compiled in the shared target directory, and a `bin` wheel packs the same binary. The cargo
 * line runs in `sourceRoot`, where the binary step runs it (maturin may run below the root, where
 * a pyproject.toml in a subdirectory is), with the binaries' manifests from `manifestsDir` (null:
 * none) in place; maturin keeps the step's working directory and the project's manifests.
 */
export function maturinAfterBinariesCommand(
  target: BuildTarget,
  maturin: readonly string[],
  sourceRoot: string,
  manifestsDir: string | null,
): string[] {
  if (target.toolchain !== "zig") {
    throw new Error(`${target.triple}: only zig builds share cargo-zigbuild's wrappers`);
  }
  return [
    "sh",
    `${SCRIPTS_DIR}/maturin-after-zigbuild.sh`,
    target.buildTarget,
    target.triple,
    sourceRoot,
    manifestsDir ?? "-",
    shellLine(cargoBuildCommand(target)),
    ...maturin,
  ];
}
