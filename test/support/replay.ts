import { existsSync } from "node:fs";
import type { FakeEngine } from "../harness/engine.js";
import { execContainer } from "../harness/engine.js";
import type { ExecRecord } from "../harness/model.js";
import { type Bind, type FreshRoot, freshRoot } from "./fresh-root.js";

export interface ReplayOptions {
  /** Bytes for files the harness only knows as placeholders (produced by earlier steps). */
  files?: Record<string, Buffer | string>;
  /** This machine's directory for each of the exec's mounts (caches, mounted directories). */
  mounts?: Record<string, Bind>;
  executable?: (path: string) => boolean;
  /**
   * Variables over the recorded ones: the values of the step's secrets (the model has only
   * their names), or this machine's needs (a free port for a server the step starts).
   */
  env?: Record<string, string>;
  /**
   * Run it in the root of an earlier step of the same container instead of a new one: files
   * already there are what that step left, so only the ones not there yet are placed.
   */
  root?: FreshRoot;
}

/**
 * Runs a command the harness recorded, for real, as the engine would: its exact argv, working
 * directory and environment (the image's included), in a fresh root holding exactly the files
 * the stage put into its container and the mounts it declared. Every mount must be given a
 * directory, so nothing the step relies on is left out. The caller removes the root.
 */
export async function replayInFreshRoot(
  engine: FakeEngine,
  exec: ExecRecord,
  options: ReplayOptions = {},
): Promise<{ root: FreshRoot; stdout: string; stderr: string }> {
  const index = engine.model.execs.indexOf(exec);
  if (index < 0) throw new Error("replay: the exec is not in this call's model");
  const missing = Object.keys(exec.mounts).filter((path) => !options.mounts?.[path]);
  if (missing.length > 0) throw new Error(`replay: no directory given for mount(s) ${missing}`);
  const inside = execContainer(engine, index);
  const mounted = (path: string) =>
    Object.keys(exec.mounts).some((m) => path === m || path.startsWith(`${m}/`));
  const paths = inside
    .files("/")
    .map((rel) => `/${rel}`)
    .filter((path) => !mounted(path));
  const root = options.root ?? freshRoot();
  const files = Object.fromEntries(
    Object.entries({
      ...Object.fromEntries(paths.map((path) => [path, inside.bytes(path)])),
      ...options.files,
    }).filter(([path]) => !(options.root && existsSync(root.path(path)))),
  );
  try {
    const result = await root.run({
      argv: exec.argv,
      workdir: exec.workdir,
      env: { ...exec.env, ...options.env },
      files,
      executable: Object.keys(files).filter((path) => options.executable?.(path) ?? false),
      mounts: options.mounts,
      rust: exec.env.CARGO_HOME !== undefined && exec.env.RUSTUP_HOME !== undefined,
    });
    return { root, ...result };
  } catch (error) {
    if (!options.root) root.remove();
    throw error;
  }
}
