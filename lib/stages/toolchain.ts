import { CacheSharingMode, type Container, type Directory, dag } from "@dagger.io/dagger";
import { SOURCE_IGNORE } from "../../src/source-ignore.js";
import {
  AUDITABLE_ROOT,
  auditableEnvironment,
  installAuditableCommand,
} from "../commands/cargo-auditable.js";
import { rustupToolchainCommand, VENDORED, vendorCommand } from "../commands/cargo-build.js";
import { cargoTargetEnvironment, type Target } from "../plan/target.js";
import { CARGO_AUDITABLE, IMAGES } from "./images.js";

/** Where cargo writes, in every build container: a cache volume per target. */
export const CARGO_TARGET_DIR = "/cargo-target";
export const SOURCE_DIR = "/src";
/** The vendored dependencies, mounted read-only into every build. */
export const VENDOR_DIR = "/vendored";
/**
 * Cargo reads `.cargo/config.toml` in every directory above its working directory, so this one
 * applies to builds in /src while a project's own /src/.cargo/config.toml keeps precedence.
 */
export const VENDOR_CONFIG = "/.cargo/config.toml";
/** The vendoring step's own cargo home (registry index, downloads, cargo's package lock). */
const VENDOR_CARGO_HOME = "/cargo-home";
/** The cargo home cargo-auditable's build downloads into: the step's own, thrown away with it. */
const TOOL_CARGO_HOME = "/tmp/cargo-auditable-home";

/** What the toolchain stages need to know of a build. */
export interface ToolchainInput {
  /** The source to build (version already patched). */
  source: Directory;
  /** The crate's pinned channel (rust-toolchain.toml), if any. */
  channel: string | null;
  /** Prefix of every cache volume: caches are per project and per purpose. */
  cacheNamespace: string;
  /** The vendored dependencies (see vendoredDependencies). */
  vendored: Directory;
  /** The release's date (SOURCE_DATE_EPOCH), the same for every step that compiles. */
  sourceDateEpoch: number;
}

function cache(input: Pick<ToolchainInput, "cacheNamespace">, purpose: string) {
  return dag.cacheVolume(`${input.cacheNamespace}-${purpose}`);
}

/**
 * Every locked dependency, fetched once, as an immutable directory: concurrent builds only read
 * it. Cargo's downloads are cached in a volume that only this step mounts, LOCKED, with the whole
 * cargo home on it so cargo's own package lock guards it too. A volume can be emptied while an
 * exec that filled it stays cached, so nothing but this step relies on the volume's contents.
 */
export function vendoredDependencies(
  input: Omit<ToolchainInput, "vendored" | "sourceDateEpoch">,
): Directory {
  let container = dag
    .container()
    .from(IMAGES.zigbuild)
    .withMountedCache(VENDOR_CARGO_HOME, cache(input, "cargo-home"), {
      sharing: CacheSharingMode.Locked,
    })
    // The image's cargo and rustup stay on PATH; only the home cargo downloads into moves.
    .withEnvVariable("CARGO_HOME", VENDOR_CARGO_HOME)
    .withEnvVariable("CARGO_TERM_COLOR", "never")
    .withDirectory(SOURCE_DIR, input.source, { exclude: SOURCE_IGNORE })
    .withWorkdir(SOURCE_DIR);
  if (input.channel) container = container.withExec(rustupToolchainCommand(input.channel));
  return container.withExec(vendorCommand(VENDOR_DIR)).directory(VENDOR_DIR);
}

/**
 * cargo-auditable (pinned in images.ts), built from crates.io with `--locked` by the toolchain
 * image that runs it, so it links against that image's own libraries. The engine caches the
 * step: it runs once per engine and image, whatever the project; nothing of the project is in it.
 */
export function auditableTool(image: string): Directory {
  return (
    dag
      .container()
      .from(image)
      // Its own cargo home: the image's stays as the image has it.
      .withEnvVariable("CARGO_HOME", TOOL_CARGO_HOME)
      .withEnvVariable("CARGO_TERM_COLOR", "never")
      .withWorkdir("/tmp")
      .withExec(installAuditableCommand(CARGO_AUDITABLE, AUDITABLE_ROOT))
      .directory(AUDITABLE_ROOT)
  );
}

/**
 * A container that cross-compiles for `target` from the engine's own platform (no emulation):
 * the target's toolchain image, the source at /src, the vendored dependencies (read-only), and
 * caches for the target directory, zig and xwin, and cargo-auditable as the workspace's rustc
 * wrapper, so every binary and wheel it links carries its dependency list.
 *
 * The target directory is shared by the binary build and maturin's build of the same target
 * (dependencies compile once) and is mounted LOCKED: one build at a time, because a build that
 * finishes uplifts files (the cdylib, the binary) that the other copies out afterwards. The
 * xwin cache is LOCKED too: cargo-xwin and maturin's embedded copy both download the MSVC CRT
 * into it on first use. zig's cache is built for concurrent use (it locks its own entries).
 */
export function toolchainContainer(input: ToolchainInput, target: Target): Container {
  const image = target.toolchain === "zig" ? IMAGES.zigbuild : IMAGES.xwin;
  let container = dag
    .container()
    .from(image)
    .withMountedDirectory(AUDITABLE_ROOT, auditableTool(image), { readOnly: true })
    .withMountedDirectory(VENDOR_DIR, input.vendored, { readOnly: true })
    .withFile(VENDOR_CONFIG, input.vendored.file(VENDORED.config))
    .withMountedCache(CARGO_TARGET_DIR, cache(input, `target-${target.triple}`), {
      sharing: CacheSharingMode.Locked,
    })
    .withEnvVariable("CARGO_TARGET_DIR", CARGO_TARGET_DIR)
    .withEnvVariable("CARGO_TERM_COLOR", "never")
    // In every compiling step, not only maturin's (which dates the wheel's entries with it): cc
    // reruns a build script whose value changed (rerun-if-env-changed), so a wheel step that
    // alone set it compiled every C-building crate (libsqlite3-sys, ring, ...) and its
    // dependants again; and C compilers take `__DATE__`/`__TIME__` from it instead of the clock.
    .withEnvVariable("SOURCE_DATE_EPOCH", String(input.sourceDateEpoch));
  if (target.toolchain === "zig") {
    container = container
      .withMountedCache("/zig-cache", cache(input, "zig"))
      .withEnvVariable("ZIG_GLOBAL_CACHE_DIR", "/zig-cache");
  } else {
    container = container
      .withMountedCache("/xwin-cache", cache(input, "xwin"), { sharing: CacheSharingMode.Locked })
      .withEnvVariable("XWIN_CACHE_DIR", "/xwin-cache");
  }
  const environment = { ...auditableEnvironment(), ...cargoTargetEnvironment(target) };
  for (const [name, value] of Object.entries(environment)) {
    container = container.withEnvVariable(name, value);
  }
  return container
    .withDirectory(SOURCE_DIR, input.source, { exclude: SOURCE_IGNORE })
    .withWorkdir(SOURCE_DIR);
}

/**
 * Crates that link Apple frameworks (codex-usage has one) need a macOS SDK: the zigbuild image
 * ships one and points SDKROOT at it. The image's own value is used, never a copy of its path;
 * this only makes sure the image still sets it, before anything is built.
 */
export async function requireMacosSdk(target: Target): Promise<void> {
  if (target.os !== "macos") return;
  const sdkroot = await dag.container().from(IMAGES.zigbuild).envVariable("SDKROOT");
  if (!sdkroot) {
    throw new Error(
      `${target.triple}: the image ${IMAGES.zigbuild} sets no SDKROOT, so crates that link ` +
        "Apple frameworks cannot link: pin a cargo-zigbuild image that ships a macOS SDK",
    );
  }
}

/** The engine's own platform as `os/arch` (variants like arm64/v8 dropped): builds run there. */
export async function enginePlatform(): Promise<string> {
  return (await dag.defaultPlatform()).split("/").slice(0, 2).join("/");
}
