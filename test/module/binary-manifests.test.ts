import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { directoryArg, ModuleUnderTest, REPO_ROOT } from "../harness/dagger-call.js";
import { execContainer } from "../harness/engine.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";
import { isCompile, isMaturinAfterBinaries, isMaturinBuild } from "../support/execs.js";
import { built } from "../support/release-scenario.js";

/**
 * Through the SDK: `dagger call build` compiles the binaries of a cdylib+rlib library from a
 * manifest whose library is the rlib alone (plan/binary-manifests.ts), every other byte of the
 * version-patched manifest kept; a project without such a library builds from its own.
 */
const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

async function compiledManifest(source: string | null, cli: string, tag: string): Promise<string> {
  // What the binary check runs: `<cli> --version`.
  const answers: Answers = {
    exec: (e) => (e.argv[1] === "--version" ? { stdout: `${cli} ${tag.slice(1)}\n` } : undefined),
  };
  const outcome = await mod.call(
    "build",
    { target: "x86_64-unknown-linux-gnu", tag },
    { ...(source ? { module: { source: directoryArg(source) } } : {}), answers },
  );
  expect(outcome.error).toBeUndefined();
  const execs = outcome.model.execs;
  const compile = execs.find(isCompile) as ExecRecord;
  return execContainer(mod.engine, execs.indexOf(compile)).text("/src/Cargo.toml");
}

describe("the manifest the binaries' cargo build reads", () => {
  test("the sample (the seed's shape): its library as an rlib, at the tag's version", async () => {
    const own = readFileSync(join(REPO_ROOT, "example", "Cargo.toml"), "utf8");
    const text = await compiledManifest(null, "sample-usage", "v3.1.4");
    expect(text).toContain('crate-type = ["rlib"]');
    expect(text).not.toContain("cdylib");
    expect(text).toContain('version = "3.1.4"');
    const rest = (t: string) =>
      t.replace(/crate-type = \[[^\]]*\]/, "").replace(/^version = .*$/m, "");
    expect(rest(text)).toBe(rest(own));
  });

  test("a `bin` project: its own manifest", async () => {
    const own = readFileSync(join(REPO_ROOT, "test/fixtures/cached-cli/Cargo.toml"), "utf8");
    const text = await compiledManifest("test/fixtures/cached-cli", "cached-cli", "v0.1.0");
    expect(text).toBe(own);
  });
});

describe("what a release's binary and wheel steps share", () => {
  test("every step that compiles has the release's SOURCE_DATE_EPOCH, the same", async () => {
    // cc reruns a build script when a variable it tracks changes (SOURCE_DATE_EPOCH is one): a
    // wheel step with another value compiled every C-building crate again (the shared-build
    // replay shows it with lz4-sys; the bench with libsqlite3-sys).
    const outcome = await mod.call(
      "release",
      { tag: "v0.1.5", dryRun: true, skipGithub: true, skipImage: true, skipPypi: true },
      { answers: built() },
    );
    expect(outcome.error).toBeUndefined();
    const steps = outcome.model.execs.filter((e) => isCompile(e) || isMaturinBuild(e));
    expect(steps.filter(isCompile).length).toBeGreaterThan(1);
    expect(steps.filter(isMaturinAfterBinaries).length).toBeGreaterThan(0);
    const values = new Set(steps.map((e) => e.env.SOURCE_DATE_EPOCH));
    expect([...values]).toEqual(["315532800"]);
  });
});
