import { createHash } from "node:crypto";
import { CacheSharingMode, type Container, dag, type Secret } from "@dagger.io/dagger";
import { CompileCacheError, parseCompileCache } from "../commands/compile-cache.js";
import {
  COMPILE_CACHE_REPORT,
  type CompileCacheStats,
  type CompileCacheStatus,
  compileCachedCommand,
  parseCompileCacheStatus,
  parseSccacheStats,
} from "../commands/sccache.js";
import { TARGET_PLAN_NAMES } from "../plan/release-plan.js";
import type { Target } from "../plan/target.js";
import { IMAGES, SCCACHE_REQUIREMENT } from "./images.js";
import { withScripts } from "./scripts.js";
import { withUv } from "./uv.js";

/** The module-level flags that name the compile cache (all Secrets: they may hold credentials). */
export interface CompileCacheFlags {
  compileCache?: Secret | null;
  /** The runner's ACTIONS_RESULTS_URL, for `--compile-cache gha`. */
  actionsResultsUrl?: Secret | null;
  /** The runner's ACTIONS_RUNTIME_TOKEN, for `--compile-cache gha`. */
  actionsRuntimeToken?: Secret | null;
}

/** The parsed cache: what the report may say (the backend kind) and the containers' secrets. */
export interface CompileCache {
  /** The backend kind (`redis`, `s3`, `gha`, ...): the only part of the value ever printed. */
  label: string;
  local: boolean;
  /** Every backend variable, each a Secret: the value never enters the plan, a log or a query. */
  variables: { name: string; secret: Secret }[];
}

/**
 * The variable whose value salts every cache key. sccache hashes every `CARGO_*` variable into
 * its keys (cargo ignores this one), but not what rustc or a linker wrapper reads behind its
 * back, such as MACOSX_DEPLOYMENT_TARGET (the rlibs' object files change with it).
 */
export const CACHE_KEY_VARIABLE = "CARGO_RUST_RELEASE_CACHE_KEY";

/** sccache's disk cache (`--compile-cache local`): one engine cache volume per target. */
export const LOCAL_CACHE_DIR = "/compile-cache";

/**
 * The salt for one target's builds: a digest of the target's row of the targets table (triple,
 * glibc floor, deployment target, rustflags, the Mach-O UUID rewrite, and whatever a new row
 * carries), the toolchain image (its zig, its SDK) and sccache's version. Names and versions
 * of the release are not in it, so the next release hits what this one stored.
 */
export function cacheKeySalt(target: Target): string {
  const row = Object.fromEntries(
    Object.entries(target)
      .filter(([key]) => !(TARGET_PLAN_NAMES as readonly string[]).includes(key))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const image = target.toolchain === "zig" ? IMAGES.zigbuild : IMAGES.xwin;
  const digest = createHash("sha256")
    .update(JSON.stringify({ row, image, sccache: SCCACHE_REQUIREMENT }))
    .digest("hex");
  return `${target.triple}-${digest.slice(0, 16)}`;
}

/**
 * Reads and checks `--compile-cache` (and, for `gha`, the runner's two variables) before any
 * work. Returns null without the flag: the builds then run exactly as without this feature.
 */
export async function prepareCompileCache(flags: CompileCacheFlags): Promise<CompileCache | null> {
  // The runner's two variables are only read for gha: a template may pass them whatever the
  // cache is (ci/release.yml does), and they are never read otherwise.
  if (!flags.compileCache) return null;
  const parsed = parseCompileCache(await flags.compileCache.plaintext());
  const variables = parsed.variables.map(({ name, value }) => ({
    name,
    secret: dag.setSecret(`rust-release-compile-cache-${name}`, value),
  }));
  if (parsed.backend === "gha") {
    if (!flags.actionsResultsUrl || !flags.actionsRuntimeToken) {
      throw new CompileCacheError(
        "--compile-cache gha needs the runner's cache service: pass " +
          "--actions-results-url env://ACTIONS_RESULTS_URL --actions-runtime-token " +
          "env://ACTIONS_RUNTIME_TOKEN, exported by a step first (ci/release.yml shows it)",
      );
    }
    variables.push(
      { name: "ACTIONS_RESULTS_URL", secret: flags.actionsResultsUrl },
      { name: "ACTIONS_RUNTIME_TOKEN", secret: flags.actionsRuntimeToken },
    );
  }
  return { label: parsed.label, local: parsed.backend === "local", variables };
}

/** What a compiling stage needs to know to use the cache. */
export interface CompileCacheInput {
  compileCache: CompileCache | null;
  cacheNamespace: string;
}

/**
 * Runs one compile step for `target`: as it is without a compile cache; with one, sccache
 * (pinned, installed with uv as maturin is) wraps rustc, the backend's variables come in as
 * Secrets, the key is salted with the target's row, and the step never fails because the cache
 * is unreachable (container-scripts/compile-cached.sh).
 */
export function compileStep(
  input: CompileCacheInput,
  target: Target,
  container: Container,
  command: readonly string[],
): Container {
  const cache = input.compileCache;
  if (!cache) return container.withExec([...command]);
  let cached = withScripts(withUv(input, container))
    .withExec(["uv", "tool", "install", SCCACHE_REQUIREMENT])
    .withEnvVariable(CACHE_KEY_VARIABLE, cacheKeySalt(target));
  for (const { name, secret } of cache.variables) {
    cached = cached.withSecretVariable(name, secret);
  }
  if (cache.local) {
    // One server per directory (sccache's disk cache is not safe for concurrent servers): a
    // volume per target, LOCKED like the target directory the same steps hold.
    cached = cached
      .withMountedCache(
        LOCAL_CACHE_DIR,
        dag.cacheVolume(`${input.cacheNamespace}-compile-cache-${target.triple}`),
        { sharing: CacheSharingMode.Locked },
      )
      .withEnvVariable("SCCACHE_DIR", LOCAL_CACHE_DIR);
  }
  return cached.withExec(compileCachedCommand(command));
}

/** What one compile step reported about the cache. */
export interface CompileCacheRecord {
  step: string;
  status: CompileCacheStatus;
  stats: CompileCacheStats | null;
}

/**
 * The compile steps of one call, as they finish: what the report says about the cache (its
 * warnings, its hits, how many compilations ran). Empty without --compile-cache.
 */
export class CompileCacheLog {
  readonly records: CompileCacheRecord[] = [];

  constructor(readonly label: string | null) {}

  /** Reads a finished compile step's status and statistics (nothing without the cache). */
  async record(step: string, compiled: Container): Promise<void> {
    if (this.label === null) return;
    const status = parseCompileCacheStatus(
      await compiled.file(`${COMPILE_CACHE_REPORT}/status`).contents(),
    );
    const stats =
      status === "ok"
        ? parseSccacheStats(await compiled.file(`${COMPILE_CACHE_REPORT}/stats.json`).contents())
        : null;
    this.records.push({ step, status, stats });
  }

  /** Warnings: a cache that could not be reached, a server lost, read or write errors. */
  warnings(): string[] {
    const label = this.label ?? "";
    return this.records.flatMap(({ step, status, stats }) => {
      if (status === "unreachable") {
        return [
          `Warning: ${step}: the compile cache (${label}) could not be reached; built without it.`,
        ];
      }
      if (status === "lost") {
        return [`Warning: ${step}: the compile cache (${label}) stopped during the build.`];
      }
      const errors = stats ? stats.readErrors + stats.writeErrors + stats.timeouts : 0;
      return errors > 0 && stats
        ? [
            `Warning: ${step}: the compile cache (${label}) had ${stats.readErrors} read errors, ` +
              `${stats.writeErrors} write errors and ${stats.timeouts} timeouts.`,
          ]
        : [];
    });
  }

  /** One line: the hits, and how many compilations ran (misses + what is never cached). */
  summary(): string | null {
    if (this.label === null || this.records.length === 0) return null;
    const stats = this.records.flatMap((r) => (r.stats ? [r.stats] : []));
    const sum = (key: keyof CompileCacheStats) => stats.reduce((n, s) => n + s[key], 0);
    const [hits, cacheable, misses, never] = [
      sum("hits"),
      sum("cacheable"),
      sum("misses"),
      sum("notCacheable"),
    ];
    const rate = cacheable === 0 ? "" : ` (${Math.round((hits / cacheable) * 100)}%)`;
    const uncached = this.records.length - stats.length;
    return (
      `Compile cache (${this.label}): ${hits} of ${cacheable} cacheable compilations were hits` +
      `${rate}; ${misses + never} compilations ran (${misses} misses, ${never} never cached: ` +
      `binaries, cdylibs, proc macros, build scripts) in ${stats.length} compile steps` +
      (uncached > 0 ? `, and ${uncached} steps built without the cache.` : ".")
    );
  }

  /** Everything the report says about the cache. */
  notes(): string[] {
    const summary = this.summary();
    return [...this.warnings(), ...(summary ? [summary] : [])];
  }
}
