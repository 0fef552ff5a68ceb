import { CacheSharingMode, type Container, dag } from "@dagger.io/dagger";
import type { Target } from "../plan/targets.js";
import { CARGO_HOME, IMAGES, MACOS_SDKROOT } from "./images.js";
import type { BuildContext } from "./source.js";
import { SOURCE_IGNORE } from "./source.js";

/** Where cargo writes, in every build container: a cache volume per target. */
export const CARGO_TARGET_DIR = "/cargo-target";
export const SOURCE_DIR = "/src";

function cache(ctx: BuildContext, purpose: string) {
  return dag.cacheVolume(`${ctx.cacheNamespace}-${purpose}`);
}

/**
 * A container that cross-compiles for `target` from the engine's own platform (no emulation):
 * the target's toolchain image, the source at /src, and caches for the registry, git
 * checkouts, the target directory (shared with maturin for the same target), zig and xwin.
 */
export function toolchainContainer(ctx: BuildContext, target: Target): Container {
  let container = dag
    .container()
    .from(target.toolchain === "zig" ? IMAGES.zigbuild : IMAGES.xwin)
    .withMountedCache(`${CARGO_HOME}/registry`, cache(ctx, "cargo-registry"))
    .withMountedCache(`${CARGO_HOME}/git`, cache(ctx, "cargo-git"))
    .withMountedCache(CARGO_TARGET_DIR, cache(ctx, `target-${target.triple}`), {
      sharing: CacheSharingMode.Shared,
    })
    .withEnvVariable("CARGO_TARGET_DIR", CARGO_TARGET_DIR)
    .withEnvVariable("CARGO_TERM_COLOR", "never");
  if (target.toolchain === "zig") {
    container = container
      .withMountedCache("/zig-cache", cache(ctx, "zig"))
      .withEnvVariable("ZIG_GLOBAL_CACHE_DIR", "/zig-cache");
  } else {
    container = container
      .withMountedCache("/xwin-cache", cache(ctx, "xwin"))
      .withEnvVariable("XWIN_CACHE_DIR", "/xwin-cache");
  }
  if (target.os === "macos") {
    // Crates that link Apple frameworks (codex-usage has one) need the SDK; the deployment
    // target keeps binaries and wheels on the same macOS floor.
    container = container
      .withEnvVariable("SDKROOT", MACOS_SDKROOT)
      .withEnvVariable("MACOSX_DEPLOYMENT_TARGET", target.macosDeploymentTarget ?? "");
  }
  return container
    .withDirectory(SOURCE_DIR, ctx.source, { exclude: SOURCE_IGNORE })
    .withWorkdir(SOURCE_DIR);
}

/** The engine's own platform as `os/arch` (variants like arm64/v8 dropped): builds run there. */
export async function enginePlatform(): Promise<string> {
  return (await dag.defaultPlatform()).split("/").slice(0, 2).join("/");
}
