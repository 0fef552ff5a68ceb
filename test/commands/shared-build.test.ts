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

/**
 * The seed's shape with dependencies (test/fixtures/lto-cdylib): one library, crate-type
 * cdylib + rlib, that is the CLI's and the Python extension's, and `lto` in the release
 * profile. Its binaries build from a manifest whose library is the rlib alone
 * (plan/binary-manifests.ts), so the wheel step asks cargo for the same dependency units.
 */
const LTO = { source: directoryArg("test/fixtures/lto-cdylib") };
const ltoWheelOf = (triple: string) =>
  wheelName("lto_cdylib", "0.1.0", { python: "cp38", abi: "abi3" }, findTarget(triple));
const LTO_WHEEL = ltoWheelOf(TARGET.triple);
const ltoAnswers: Answers = {
  exec: (e) => (e.argv[1] === "--version" ? { stdout: "lto-cdylib 0.1.0\n" } : undefined),
  entries: ({ path }) => {
    const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
    if (triple) return [ltoWheelOf(triple)];
    return path === "/sdist" ? ["lto_cdylib-0.1.0.tar.gz"] : undefined;
  },
};
let lto: {
  compile: ExecRecord;
  step: ExecRecord;
  binary: Buffer;
  ownManifestBinary: Buffer;
  /** What each of the two binaries prints for the same arguments, built from either manifest. */
  outputs: string[][];
  binaryStderr: string;
  stderr: string;
  wheel: string[];
};

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

  // The seed's shape: binary step, then the wheel step in a new root (its own container, as in
  // the engine) and the same target directory; and the binary step with the project's manifest.
  const ltoCall = await release.call(
    "release",
    { tag: "v0.1.0", dryRun: true, skipGithub: true, skipImage: true, skipPypi: true },
    { module: LTO, answers: ltoAnswers },
  );
  if (ltoCall.error) throw new Error(ltoCall.error);
  const ltoExecs = ltoCall.model.execs;
  const ltoVendor = await replayInFreshRoot(release.engine, ltoExecs.find(isVendor) as ExecRecord, {
    mounts: { "/cargo-home": dir(join(CACHES, "cargo-home")) },
  });
  roots.push(ltoVendor.root);
  const ltoVendored = ltoVendor.root.path("/vendored");
  const ltoCompile = ltoExecs.find((e) => isCompile(e) && forTarget(TARGET)(e)) as ExecRecord;
  const ltoStep = ltoExecs.find(
    (e) => isMaturinAfterBinaries(e) && forTarget(TARGET)(e),
  ) as ExecRecord;
  const ltoDir = join(scratch.path, "lto-target");
  const ltoBuilt = await replay(release, ltoCompile, ltoDir, ltoVendored);
  const ltoWheel = await replay(release, ltoStep, ltoDir, ltoVendored);
  const own = await replayInFreshRoot(release.engine, ltoCompile, {
    files: {
      "/.cargo/config.toml": readFileSync(join(ltoVendored, "config.toml")),
      "/src/Cargo.toml": readFileSync("test/fixtures/lto-cdylib/Cargo.toml"),
    },
    mounts: {
      "/vendored": dir(ltoVendored, true),
      "/cargo-target": dir(join(scratch.path, "lto-own-manifest-target")),
      "/zig-cache": dir(join(CACHES, "zig")),
      ...(await auditableMount(release.engine, ltoExecs)),
    },
  });
  roots.push(own.root);
  const wheelPath = ltoWheel.root.path(`/wheels/${TARGET.triple}/${LTO_WHEEL}`);
  const outputs = [ltoBuilt.root, own.root].map((root) =>
    [["--version"], ["--lz4-version"], ["banana"]].map((args) =>
      execFileSync(root.path("/out/lto-cdylib"), args, { encoding: "utf8" }),
    ),
  );
  lto = {
    outputs,
    compile: ltoCompile,
    step: ltoStep,
    binary: readFileSync(ltoBuilt.root.path("/out/lto-cdylib")),
    ownManifestBinary: readFileSync(own.root.path("/out/lto-cdylib")),
    binaryStderr: ltoBuilt.stderr,
    stderr: ltoWheel.stderr,
    wheel: execFileSync("unzip", ["-Z1", wheelPath], { encoding: "utf8" }).trim().split("\n"),
  };
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
    // At the source root, where the binary step runs it (maturin may run below it), with the
    // project's own manifest (`-`: a `bin` project has no cdylib to narrow).
    expect(step.argv.slice(2, 6)).toEqual([target.buildTarget, target.triple, "/src", "-"]);
    expect(step.argv[6]).toBe(
      `cargo zigbuild --release --frozen --target ${target.buildTarget} --bin cached-cli`,
    );
    expect(step.argv.slice(7, 9)).toEqual(["maturin", "build"]);
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

describe("the seed's shape: a cdylib+rlib library with lto, Linux x86_64", () => {
  test("the binaries build its rlib alone; the wheel step swaps that manifest in for cargo only", () => {
    const swapped = lto.step.argv.slice(4, 6);
    expect(swapped).toEqual(["/src", "/rust-release-binary-manifests"]);
    expect(lto.compile.argv.join(" ")).toContain("cargo zigbuild");
  });

  test("each dependency compiles once: the wheel step compiles only what the wheel adds", () => {
    const dependencies = ["cc", "find-msvc-tools", "itoa", "libc", "lz4-sys", "memchr", "shlex"];
    expect(compiled(lto.binaryStderr)).toEqual([...dependencies, "lto-cdylib"].sort());
    const wheel = compiled(lto.stderr);
    expect(wheel).toContain("pyo3");
    expect(wheel).toContain("lto-cdylib");
    // lz4-sys compiles C in its build script, which cc reruns when SOURCE_DATE_EPOCH differs:
    // both steps have the same (stages/toolchain.ts).
    expect(wheel.filter((crate) => dependencies.includes(crate))).toEqual([]);
  });

  test("the binary is the program the project's own manifest builds", () => {
    // The same source, features and profile; only cargo's LTO inputs differ (the dependencies as
    // bitcode alone, not objects and bitcode). With lz4-sys's C in the link the linker lays the
    // two out differently (with Rust dependencies alone they were the same bytes), so the
    // binaries are compared by what they do. Two builds of a release still give the same bytes
    // (test/commands/cross-build.test.ts builds every target twice).
    expect(lto.binary.length).toBeGreaterThan(0);
    expect(lto.ownManifestBinary.length).toBeGreaterThan(0);
    const [narrowed, own] = lto.outputs;
    expect(narrowed).toEqual(["lto-cdylib 0.1.0\n", expect.stringMatching(/^1\d{4}\n$/), "3\n"]);
    expect(narrowed).toEqual(own);
  });

  test("the wheel holds the extension module: maturin built from the project's own manifest", () => {
    expect(lto.wheel).toContain("lto_cdylib/_native.abi3.so");
  });
});
