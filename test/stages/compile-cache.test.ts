import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseSccacheStats } from "../../lib/commands/sccache.js";
import { TARGETS } from "../../lib/plan/targets.js";
import { CompileCacheLog, cacheKeySalt } from "../../lib/stages/compile-cache.js";
import { REPO_ROOT } from "../harness/module-files.js";
import { targetRow } from "../support/plan.js";

const STATS = readFileSync(join(REPO_ROOT, "test/fixtures/sccache/stats-0.16.json"), "utf8");

describe("the cache key's salt", () => {
  test("one per target row; the release's names and version are not in it", () => {
    const salts = TARGETS.map(cacheKeySalt);
    expect(new Set(salts).size).toBe(TARGETS.length);
    for (const target of TARGETS) {
      const planned = {
        ...targetRow(target.triple, ["sample-usage"]),
        archive: "other-9.9.9.tar.gz",
        wheel: "x-9.9.9.whl",
      };
      expect(cacheKeySalt(planned)).toBe(cacheKeySalt(target));
      expect(cacheKeySalt(target)).toMatch(new RegExp(`^${target.triple}-[0-9a-f]{16}$`));
    }
  });

  test.each([
    ["macosDeploymentTarget", "13.0"],
    ["glibcFloor", "2.28"],
    ["buildTarget", "x86_64-unknown-linux-gnu.2.28"],
    ["rustflags", ["-C", "target-cpu=native"]],
    ["rewriteMachoUuid", true],
  ])("changes with the row's %s", (field, value) => {
    const [target] = TARGETS;
    if (!target) throw new Error("no targets");
    expect(cacheKeySalt({ ...target, [field]: value })).not.toBe(cacheKeySalt(target));
  });
});

describe("what the report says about the cache", () => {
  test("nothing without --compile-cache", async () => {
    const log = new CompileCacheLog(null);
    expect(log.notes()).toEqual([]);
  });

  test("hits, compilations that ran, and a warning per step that could not use it", () => {
    const log = new CompileCacheLog("s3");
    const stats = parseSccacheStats(STATS);
    log.records.push(
      { step: "x86_64-unknown-linux-gnu binaries", status: "ok", stats },
      { step: "x86_64-unknown-linux-gnu wheel", status: "ok", stats: { ...stats, writeErrors: 2 } },
      { step: "aarch64-apple-darwin wheel", status: "unreachable", stats: null },
    );
    expect(log.notes()).toEqual([
      "Warning: x86_64-unknown-linux-gnu wheel: the compile cache (s3) had 0 read errors, 2 write errors and 0 timeouts.",
      "Warning: aarch64-apple-darwin wheel: the compile cache (s3) could not be reached; built without it.",
      "Compile cache (s3): 156 of 156 cacheable compilations were hits (100%); 40 compilations ran " +
        "(0 misses, 40 never cached: binaries, cdylibs, proc macros, build scripts) in 2 compile " +
        "steps, and 1 steps built without the cache.",
    ]);
  });
});
