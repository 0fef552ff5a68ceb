import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { wheelName } from "../../lib/plan/names.js";
import type { Target } from "../../lib/plan/target.js";
import { findTarget } from "../../lib/plan/targets.js";
import { type ArgValue, directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";
import { auditableMount } from "../support/auditable.js";
import { isCompile, isMaturinAfterBinaries, isMaturinBuild, isVendor } from "../support/execs.js";
import type { Bind, FreshRoot } from "../support/fresh-root.js";
import { scratchDir } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";
import { EXAMPLE_DIR } from "./sample-binaries.js";

/**
 * A release builds each target's binaries and its wheel in two steps that share the target's
 * cargo directory. maturin's embedded cargo-zigbuild names its linker wrappers differently from
 * cargo-zigbuild's, so maturin alone recompiles every dependency there; the release's wheel
 * step runs the binaries' cargo zigbuild first and hands maturin those wrappers. Replayed with
 * real tools on a `bin` project with three dependencies (Linux x86_64, and macOS arm64 for the
 * release's steps): after the binary step,
 * the release's wheel step compiles nothing and its wheel holds the archive's very binary,
 * while the plain maturin step (`dagger call wheels`) compiles everything again.
 */

const SOURCE = "test/fixtures/cached-cli";
const TARGET = findTarget("x86_64-unknown-linux-gnu");
const MACOS = findTarget("aarch64-apple-darwin");
const TIMEOUT_MS = 600_000;
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");
const wheelOf = (triple: string) =>
  wheelName("cached_cli", "0.1.0", { python: "py3", abi: "none" }, findTarget(triple));

const module: Record<string, ArgValue> = { source: directoryArg(SOURCE) };
const answers: Answers = {
  exec: (e) => (e.argv[1] === "--version" ? { stdout: "cached-cli 0.1.0\n" } : undefined),
  entries: ({ path }) => {
    const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
    return triple ? [wheelOf(triple)] : path === "/sdist" ? ["cached_cli-0.1.0.tar.gz"] : undefined;
  },
};
const release = new ModuleUnderTest();
const wheels = new ModuleUnderTest();
const scratch = scratchDir("shared-build");
const roots: FreshRoot[] = [];

function dir(path: string, readOnly = false): Bind {
  mkdirSync(path, { recursive: true });
  return { host: path, readOnly };
}

/**
 * Replays a step. With `root`, in the root of the binary step: the source keeps its files as
 * that step had them, as the engine's two containers share one snapshot of the source (a new
 * root would write them anew, newer, and cargo would rebuild the project's own crate).
 */
async function replay(
  mod: ModuleUnderTest,
  exec: ExecRecord,
  targetDir: string,
  vendored: string,
  root?: FreshRoot,
) {
  const result = await replayInFreshRoot(mod.engine, exec, {
    ...(root ? { root } : {}),
    files: { "/.cargo/config.toml": readFileSync(join(vendored, "config.toml")) },
    mounts: {
      "/vendored": dir(vendored, true),
      "/cargo-target": dir(targetDir),
      "/zig-cache": dir(join(CACHES, "zig")),
      ...(await auditableMount(mod.engine, mod.engine.model.execs)),
      ...(exec.mounts["/root/.cache/uv"] ? { "/root/.cache/uv": dir(join(CACHES, "uv")) } : {}),
    },
  });
  if (!root) roots.push(result.root);
  return result;
}

/** The crates cargo compiled in a step (its `Compiling <crate> v<version>` lines). */
function compiled(stderr: string): string[] {
  return [...stderr.matchAll(/^\s+Compiling (\S+) v/gm)].map((m) => m[1] as string).sort();
}

interface Shared {
  step: ExecRecord;
  binary: Buffer;
  stderr: string;
  wheel: Buffer;
}
const shared = new Map<string, Shared>();
let plain: { stderr: string };

beforeAll(async () => {
  await Promise.all([release.start(), wheels.start()]);
  const recorded = await release.call(
    "release",
    { tag: "v0.1.0", dryRun: true, skipGithub: true, skipImage: true, skipPypi: true },
    { module, answers },
  );
  if (recorded.error) throw new Error(recorded.error);
  const execs = recorded.model.execs;
  const vendor = await replayInFreshRoot(release.engine, execs.find(isVendor) as ExecRecord, {
    mounts: { "/cargo-home": dir(join(CACHES, "cargo-home")) },
  });
  roots.push(vendor.root);
  const vendored = vendor.root.path("/vendored");
  const forTarget = (target: Target) => (e: ExecRecord) =>
    e.argv.join(" ").includes(`--target ${target.buildTarget} `);
  const compileOf = (target: Target) =>
    execs.find((e) => isCompile(e) && forTarget(target)(e)) as ExecRecord;

  // The release: the binary step, then the wheel step in the same target directory.
  for (const target of [TARGET, MACOS]) {
    const step = execs.find((e) => isMaturinAfterBinaries(e) && forTarget(target)(e));
    if (!step) throw new Error(`no release wheel step for ${target.triple}`);
    const targetDir = join(scratch.path, `release-target-${target.triple}`);
    const built = await replay(release, compileOf(target), targetDir, vendored);
    const wheelStep = await replay(release, step, targetDir, vendored, built.root);
    const out = wheelStep.root.path(`/wheels/${target.triple}`);
    const name = wheelOf(target.triple);
    expect(readdirSync(out)).toEqual([name]);
    shared.set(target.triple, {
      step,
      binary: readFileSync(built.root.path("/out/cached-cli")),
      stderr: wheelStep.stderr,
      wheel: readFileSync(join(out, name)),
    });
  }
  const compile = compileOf(TARGET);

  // Without sharing: the same binary step, then `wheels`'s own maturin step.
  const plainDir = join(scratch.path, "plain-target");
  await replay(release, compile, plainDir, vendored);
  const wheelsCall = await wheels.call("wheels", { target: TARGET.triple }, { module, answers });
  if (wheelsCall.error) throw new Error(wheelsCall.error);
  const maturin = wheelsCall.model.execs.find(isMaturinBuild) as ExecRecord;
  plain = { stderr: (await replay(wheels, maturin, plainDir, vendored)).stderr };
}, TIMEOUT_MS);

afterAll(async () => {
  for (const root of roots) root.remove();
  scratch.remove();
  await Promise.all([release.stop(), wheels.stop()]);
});

describe.each([
  [TARGET.triple, TARGET],
  [MACOS.triple, MACOS],
])("a release's wheel after its binaries (bin bindings, %s)", (triple, target) => {
  const of = () => shared.get(triple) as Shared;

  test("the wheel step runs the binaries' build first, then maturin", () => {
    const { step } = of();
    expect(step.argv.slice(2, 4)).toEqual([target.buildTarget, target.triple]);
    // At the source root, where the binary step runs it (maturin may run below it).
    expect(step.argv[4]).toBe(
      `cd /src\ncargo zigbuild --release --frozen --target ${target.buildTarget} --bin cached-cli`,
    );
    expect(step.argv.slice(5, 7)).toEqual(["maturin", "build"]);
  });

  test("compiles nothing: cargo zigbuild finds the binary step's units, maturin packs them", () => {
    expect(of().stderr).toContain("Built wheel");
    expect(compiled(of().stderr)).toEqual([]);
  });

  test("the wheel's executable is the binary the archive gets, byte for byte", () => {
    // (macOS: before the archive's UUID rewrite, which the wheel's copy does not get.)
    const path = join(scratch.path, wheelOf(triple));
    writeFileSync(path, of().wheel);
    const member = "cached_cli-0.1.0.data/scripts/cached-cli";
    const executable = execFileSync("unzip", ["-p", path, member]);
    expect(executable.length).toBeGreaterThan(0);
    expect(executable.equals(of().binary)).toBe(true);
  });
});

describe("without sharing (dagger call wheels), Linux x86_64", () => {
  test("maturin alone, in the binary step's directory, compiles every crate again", () => {
    expect(compiled(plain.stderr)).toEqual(["cached-cli", "itoa", "memchr", "smallvec"]);
  });
});
