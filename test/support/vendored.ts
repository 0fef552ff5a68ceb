import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { vendorCommand, vendorLayout } from "../../lib/commands/cargo-build.js";
import { runArgv } from "../commands/sample-binaries.js";

/**
 * Lays out what the pipeline gives every build, relative to `root` instead of `/`: the crate's
 * dependencies vendored by the pipeline's own command into `<root>/vendored`, and the config
 * cargo then reads from `<root>/.cargo/config.toml` when it builds a crate under `root`.
 * (The replay tests use the container paths themselves.)
 */
export async function vendorBelow(root: string, crateDir: string): Promise<void> {
  const layout = vendorLayout(join(root, "vendored"));
  await runArgv(vendorCommand(join(root, "vendored")), { cwd: crateDir });
  mkdirSync(join(root, ".cargo"), { recursive: true });
  copyFileSync(layout.config, join(root, ".cargo", "config.toml"));
}
