import { posix } from "node:path";

/** Where the toolchain containers have cargo-auditable: a read-only mount of the tool's build. */
export const AUDITABLE_ROOT = "/rust-release-tools";

/** The cargo-auditable executable inside AUDITABLE_ROOT (`cargo install --root` lays it out). */
export const AUDITABLE_BIN = posix.join(AUDITABLE_ROOT, "bin", "cargo-auditable");

/**
 * Builds one pinned version of cargo-auditable from crates.io into `root` (`<root>/bin`), with
 * the lock file published in the crate (`--locked`): the same version gives the same tool on
 * every engine. `--no-track` keeps cargo's install records out of it (cargo 1.95 leaves
 * `.crates.toml` and `.crates2.json` there, empty): what is mounted is the executable.
 */
export function installAuditableCommand(
  tool: { crate: string; version: string },
  root: string,
): string[] {
  return [
    "cargo",
    "install",
    "--locked",
    "--no-track",
    "--root",
    root,
    `${tool.crate}@${tool.version}`,
  ];
}

/** cargo in the toolchain images (rust images: CARGO_HOME=/usr/local/cargo). */
export const IMAGE_CARGO = "/usr/local/cargo/bin/cargo";

/**
 * The environment `cargo auditable <command> --frozen` gives cargo, set on the toolchain
 * container instead so that every compile step gets it: `cargo zigbuild`, `cargo xwin build`
 * and maturin (which has no way to run `cargo auditable` itself; it runs cargo, and cargo runs
 * the wrapper). Cargo runs `RUSTC_WORKSPACE_WRAPPER` for the workspace's own crates only, so
 * dependencies compile as before (and stay cacheable by a RUSTC_WRAPPER such as sccache);
 * cargo-auditable acts on the final `bin` and `cdylib` links and passes every other call
 * through. CARGO_AUDITABLE_ORIG_ARGS is the JSON `cargo auditable` would pass for the flags it
 * forwards to its own `cargo metadata`: `--frozen`, as every build runs (the vendored
 * dependencies, no network).
 *
 * `CARGO` names the cargo whose `cargo metadata` cargo-auditable runs (cargo also sets it for
 * the rustc it starts). It was first set so that sccache could see the rustc behind a second
 * wrapper (mozilla/sccache#1274, #1674); compile-cached.sh now sends the workspace's crates
 * straight to cargo-auditable instead, so sccache no longer depends on it. It names the cargo
 * that PATH finds, and changes nothing else.
 */
export function auditableEnvironment(
  wrapper: string = AUDITABLE_BIN,
  cargo: string = IMAGE_CARGO,
): Record<string, string> {
  return {
    RUSTC_WORKSPACE_WRAPPER: wrapper,
    CARGO_AUDITABLE_ORIG_ARGS: JSON.stringify({
      offline: false,
      locked: false,
      frozen: true,
      config: [],
    }),
    CARGO: cargo,
  };
}
