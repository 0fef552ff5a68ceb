import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import {
  AUDITABLE_BIN,
  AUDITABLE_ROOT,
  installAuditableCommand,
} from "../../lib/commands/cargo-auditable.js";
import { CARGO_AUDITABLE } from "../../lib/stages/images.js";
import { EXAMPLE_DIR } from "../commands/sample-binaries.js";
import type { FakeEngine } from "../harness/engine.js";
import type { ExecRecord } from "../harness/model.js";
import type { Bind } from "./fresh-root.js";
import { replayInFreshRoot } from "./replay.js";

/** The recorded step that builds cargo-auditable for the toolchain containers. */
export const isAuditableInstall = (e: ExecRecord) =>
  e.argv.join(" ") === installAuditableCommand(CARGO_AUDITABLE, AUDITABLE_ROOT).join(" ");

// Where replays keep what the engine would keep cached: here, the step's output.
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");
/** Long enough to build cargo-auditable (about 50 crates; 40 s on an idle 2-core machine). */
export const AUDITABLE_BUILD_TIMEOUT_MS = 600_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The output of the step that builds cargo-auditable, as a mount for the compile steps'
 * replays: the recorded step itself replayed in a fresh root (its exact argv, image,
 * environment and working directory; it downloads from crates.io and compiles), once per
 * machine for a given step, as an engine runs a cached step once. `.ci/run` builds it before
 * the tests (test/support/build-auditable.ts); test files running at the same time wait for the
 * one that builds it.
 */
export async function auditableTool(
  engine: FakeEngine,
  execs: readonly ExecRecord[],
): Promise<Bind> {
  const exec = execs.find(isAuditableInstall);
  if (!exec) throw new Error("the call recorded no step that builds cargo-auditable");
  const step = createHash("sha256")
    .update(JSON.stringify([exec.image, exec.argv, exec.env, exec.workdir]))
    .digest("hex")
    .slice(0, 16);
  const dir = join(CACHES, `cargo-auditable-${step}`);
  const bin = join(dir, AUDITABLE_BIN);
  const tool = { host: join(dir, AUDITABLE_ROOT), readOnly: true };
  const lock = `${dir}.lock`;
  mkdirSync(CACHES, { recursive: true });
  for (;;) {
    if (existsSync(bin)) return tool;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building it; a lock older than the build's limit was abandoned.
      if (Date.now() - statSync(lock).mtimeMs > AUDITABLE_BUILD_TIMEOUT_MS) {
        rmSync(lock, { recursive: true, force: true });
      }
      await sleep(2000);
    }
  }
  try {
    if (!existsSync(bin)) {
      const { root } = await replayInFreshRoot(engine, exec);
      try {
        const staging = `${dir}.partial`;
        rmSync(staging, { recursive: true, force: true });
        mkdirSync(join(staging, AUDITABLE_ROOT, "bin"), { recursive: true });
        copyFileSync(root.path(AUDITABLE_BIN), join(staging, AUDITABLE_BIN));
        chmodSync(join(staging, AUDITABLE_BIN), 0o755);
        renameSync(staging, dir);
      } finally {
        root.remove();
      }
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return tool;
}

/** The mount a replayed compile step needs for its RUSTC_WORKSPACE_WRAPPER. */
export async function auditableMount(
  engine: FakeEngine,
  execs: readonly ExecRecord[],
): Promise<Record<string, Bind>> {
  return { [AUDITABLE_ROOT]: await auditableTool(engine, execs) };
}
