import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import { LAYOUTS } from "../support/layouts.js";
import { built } from "../support/release-scenario.js";

/**
 * One plan per call: the tag is parsed once and every project file is read once, however many
 * stages and destinations the call runs (the plan carries what they need).
 */
const mod = new ModuleUnderTest();

beforeAll(() => mod.start(), 120_000);
afterAll(() => mod.stop());

/** The files whose contents a call read from the source, each with how often it was read. */
function contentReads(queries: readonly string[]): Record<string, number> {
  const reads: Record<string, number> = {};
  for (const query of queries) {
    for (const match of query.matchAll(/file\s*\(path:\s*"([^"]+)"\)\s*\{\s*contents\s*\}/g)) {
      const path = match[1] as string;
      reads[path] = (reads[path] ?? 0) + 1;
    }
  }
  return reads;
}

describe("one plan per call", () => {
  test("release --dry-run parses the tag once and reads each project file once", async () => {
    const before = mod.engine.queries.length;
    const outcome = await mod.call(
      "release",
      { tag: "v0.1.5", dryRun: true },
      { answers: built() },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.counts.parseTag).toBe(1);
    const reads = contentReads(mod.engine.queries.slice(before));
    expect(Object.keys(reads).sort()).toEqual(["Cargo.lock", "Cargo.toml", "pyproject.toml"]);
    expect(Object.values(reads).every((n) => n === 1)).toBe(true);
  });

  test("a build without --tag reads Cargo.toml's version the same way, once", async () => {
    const before = mod.engine.queries.length;
    const outcome = await mod.call(
      "build",
      {},
      {
        answers: {
          exec: (e) =>
            e.argv.at(-1) === "--version" ? { stdout: "sample-usage 0.1.0" } : undefined,
        },
      },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.counts.parseTag).toBe(1);
    expect(Object.values(contentReads(mod.engine.queries.slice(before)))).toEqual([1, 1, 1]);
  });

  test("a pyproject.toml found below the root and the members pinning each other: each file read once", async () => {
    const before = mod.engine.queries.length;
    const outcome = await mod.call(
      "plan",
      { tag: "v0.3.0" },
      { module: { source: directoryArg(LAYOUTS.pypiSubdir) } },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.counts.parseTag).toBe(1);
    const reads = contentReads(mod.engine.queries.slice(before));
    expect(Object.keys(reads).sort()).toEqual([
      "Cargo.lock",
      "Cargo.toml",
      "crates/qctl-core/Cargo.toml",
      "crates/qctl/Cargo.toml",
      "pypi/pyproject.toml",
    ]);
    expect(Object.values(reads).every((n) => n === 1)).toBe(true);
  });
});
