import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { performance } from "node:perf_hooks";
import {
  COMPILE_CACHE_REPORT,
  type CompileCacheStats,
  parseSccacheStats,
  SCCACHE,
} from "../lib/commands/sccache.js";
import type { ReleasePlan } from "../lib/plan/release-plan.js";
import { LOCAL_CACHE_DIR } from "../lib/stages/compile-cache.js";
import { SOURCE_DIR } from "../lib/stages/toolchain.js";
import {
  directoryArg,
  ModuleUnderTest,
  REPO_ROOT,
  secretArg,
} from "../test/harness/dagger-call.js";
import { execContainer, type FakeEngine } from "../test/harness/engine.js";
import type { ExecRecord } from "../test/harness/model.js";
import { auditableMount } from "../test/support/auditable.js";
import { isCompile, isMaturinAfterBinaries, isVendor } from "../test/support/execs.js";
import type { Bind, FreshRoot } from "../test/support/fresh-root.js";
import { replayInFreshRoot } from "../test/support/replay.js";
import { freePort, HOST_SCCACHE, stopSccache } from "../test/support/sccache.js";
import { onInterrupt } from "./interrupt.js";

/**
 * The compile-cache case of `npm run bench`: what a release's compile steps of a target cost
 * on a fresh engine, cold (empty compile cache) and warm (a fresh root, an empty target
 * directory and an empty zig cache, sharing only the compile cache), with real cargo-zigbuild,
 * zig, maturin and sccache. Each target's steps are the ones `dagger call --compile-cache local
 * release` records: the binaries' cargo zigbuild, then the wheel step that reuses it, both in
 * one target directory, as the engine's LOCKED volume has them, and the wheel step in the
 * binary step's root (one snapshot of the source). A counting wrapper in front of sccache and of
 * cargo-auditable (bench/count-rustc.py) counts and times rustc's compilations per crate,
 * target and feature set.
 */

export const FIXTURES: Record<string, { source: string; env?: Record<string, string> }> = {
  sample: { source: "example" },
  heavy: { source: "bench/fixtures/heavy" },
  // Not a release the module makes (it keeps the project's profile): the heavy fixture without
  // its thin LTO, to show what the cache saves when the dependencies' machine code is theirs
  // and not made again by the final link.
  "heavy-nolto": {
    source: "bench/fixtures/heavy",
    env: { CARGO_PROFILE_RELEASE_LTO: "false" },
  },
};
/** The counter again, as the workspace wrapper (it then runs cargo-auditable). */
const COUNT_WORKSPACE = "/usr/local/bin/count-workspace";
export const BENCH_TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];

interface Phase {
  seconds: number;
  stats: CompileCacheStats[];
  binary: string;
  wheel: string | null;
  /** One line per rustc compilation: crate, target, crate types, features, metadata, kind, package. */
  compilations: string[];
}

interface TargetResult {
  triple: string;
  cold: Phase;
  warm: Phase;
}

function dir(path: string, readOnly = false): Bind {
  mkdirSync(path, { recursive: true });
  return { host: path, readOnly };
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

function sum(stats: CompileCacheStats[], key: keyof CompileCacheStats): number {
  return stats.reduce((n, s) => n + s[key], 0);
}

/** Writes the files under `dir` of `exec`'s container whose bytes differ in `root`. */
function syncFiles(engine: FakeEngine, exec: ExecRecord, root: FreshRoot, dir: string): void {
  const inside = execContainer(engine, engine.model.execs.indexOf(exec));
  for (const rel of inside.files(dir)) {
    const path = posix.join(dir, rel);
    const bytes = inside.bytes(path);
    const target = root.path(path);
    if (!existsSync(target) || !readFileSync(target).equals(bytes)) writeFileSync(target, bytes);
  }
}

/** One fixture, every bench target, cold then warm. */
async function benchFixture(
  name: string,
  scratch: string,
  progress: (message: string) => void,
): Promise<TargetResult[]> {
  const { source, env: fixtureEnv = {} } = FIXTURES[name] as (typeof FIXTURES)[string];
  const mod = new ModuleUnderTest();
  const roots: FreshRoot[] = [];
  const port = await freePort();
  const forget = onInterrupt(async () => {
    stopSccache(port);
    for (const root of roots) root.remove();
    await mod.stop();
  });
  try {
    await mod.start();
    const planned = await mod.call(
      "plan",
      { tag: "v0.1.0" },
      { module: { source: directoryArg(source) } },
    );
    if (planned.error) throw new Error(planned.error);
    const plan = JSON.parse(String(planned.value)) as ReleasePlan;
    const recorded = await mod.call(
      "release",
      { tag: "v0.1.0", dryRun: true, skipGithub: true, skipImage: true, skipPypi: true },
      {
        module: {
          source: directoryArg(source),
          compileCache: secretArg("COMPILE_CACHE", "local"),
        },
        answers: {
          exec: (e) => (e.argv.at(-1) === "--version" ? { stdout: "x 0.1.0\n" } : undefined),
          entries: ({ path }) => {
            const target = plan.targets.find((t) => path === `/wheels/${t.triple}`);
            if (target?.wheel) return [target.wheel];
            return path === "/sdist" ? [plan.python?.sdist ?? "x.tar.gz"] : undefined;
          },
          file: ({ path }) =>
            path === `${COMPILE_CACHE_REPORT}/status` ? "unreachable\n" : undefined,
        },
      },
    );
    if (recorded.error) throw new Error(recorded.error);
    const execs = recorded.model.execs;
    progress(`${name}: vendoring`);
    const vendor = await replayInFreshRoot(mod.engine, execs.find(isVendor) as ExecRecord, {
      mounts: { "/cargo-home": dir(join(scratch, "cargo-home")) },
    });
    roots.push(vendor.root);
    const vendored = vendor.root.path("/vendored");

    // cargo-auditable, which every compile step runs as RUSTC_WORKSPACE_WRAPPER (issue 20).
    const auditable = await auditableMount(mod.engine, execs);
    const counter = readFileSync(join(REPO_ROOT, "bench/count-rustc.py"));
    const real = readFileSync(HOST_SCCACHE);
    let build = 0;
    async function phase(triple: string, cache: string): Promise<Phase> {
      build += 1;
      const target = plan.targets.find((t) => t.triple === triple);
      if (!target) throw new Error(`${triple} is not in the plan`);
      const forTarget = (e: ExecRecord) =>
        e.argv.join(" ").includes(`--target ${target.buildTarget} `);
      const steps = [
        execs.find((e) => isCompile(e) && forTarget(e)),
        execs.find((e) => isMaturinAfterBinaries(e) && forTarget(e)),
      ].filter((e): e is ExecRecord => e !== undefined);
      // Shared by the two steps, as the engine's volumes are; new for every phase.
      const targetDir = join(scratch, `target-${build}`);
      const zigCache = join(scratch, `zig-${build}`);
      const result: Phase = { seconds: 0, stats: [], binary: "", wheel: null, compilations: [] };
      let previous: FreshRoot | undefined;
      for (const step of steps) {
        const start = performance.now();
        // The wheel step runs in the binary step's root: in the engine both mount one snapshot
        // of the source, the same files with the same times, so cargo finds the project's own
        // crates fresh. Only files whose bytes differ (the binaries' rlib manifests) change.
        if (previous) syncFiles(mod.engine, step, previous, SOURCE_DIR);
        const replayed = await replayInFreshRoot(mod.engine, step, {
          ...(previous ? { root: previous } : {}),
          files: {
            "/.cargo/config.toml": readFileSync(join(vendored, "config.toml")),
            [SCCACHE]: counter,
            "/usr/local/bin/sccache.real": real,
            // The workspace's crates reach cargo-auditable without sccache (compile-cached.sh):
            // the counter sits in front of it too, to time them (their LTO is never cached).
            [COUNT_WORKSPACE]: counter,
          },
          executable: (path) =>
            path.startsWith("/usr/local/bin/sccache") || path === COUNT_WORKSPACE,
          mounts: {
            "/vendored": dir(vendored, true),
            "/cargo-target": dir(targetDir),
            "/zig-cache": dir(zigCache),
            "/root/.cache/uv": dir(join(scratch, "uv")),
            [LOCAL_CACHE_DIR]: dir(cache),
            ...auditable,
          },
          env: {
            ...fixtureEnv,
            SCCACHE_SERVER_PORT: String(port),
            RUSTC_COUNT_NEXT: "/usr/local/bin/sccache.real",
            RUSTC_WORKSPACE_WRAPPER: COUNT_WORKSPACE,
            RUSTC_COUNT_WORKSPACE_NEXT: step.env.RUSTC_WORKSPACE_WRAPPER ?? "",
            RUSTC_COUNT_LOG: "/rustc-count/log.tsv",
          },
        });
        if (!previous) roots.push(replayed.root);
        previous = replayed.root;
        result.seconds += (performance.now() - start) / 1000;
        const path = (p: string) => replayed.root.path(p);
        result.stats.push(
          parseSccacheStats(readFileSync(path(`${COMPILE_CACHE_REPORT}/stats.json`), "utf8")),
        );
        result.compilations.push(
          ...readFileSync(path("/rustc-count/log.tsv"), "utf8").split("\n").filter(Boolean),
        );
        // The next step appends to the same root's log: it counts its own compilations only.
        rmSync(path("/rustc-count/log.tsv"));
        if (isCompile(step)) {
          const bin =
            target.binaries.find((b) => b.name === plan.project.primaryBin) ?? target.binaries[0];
          result.binary = sha256(readFileSync(path(`/out/${bin?.file}`)));
        } else if (target.wheel) {
          result.wheel = sha256(readFileSync(path(`/wheels/${triple}/${target.wheel}`)));
        }
      }
      for (const root of roots.splice(1)) root.remove();
      rmSync(targetDir, { recursive: true, force: true });
      rmSync(zigCache, { recursive: true, force: true });
      return result;
    }

    const results: TargetResult[] = [];
    for (const triple of BENCH_TARGETS) {
      const cache = join(scratch, `compile-cache-${name}-${triple}`);
      progress(`${name} ${triple}: cold`);
      const cold = await phase(triple, cache);
      progress(`${name} ${triple}: warm (${cold.seconds.toFixed(0)} s cold)`);
      const warm = await phase(triple, cache);
      results.push({ triple, cold, warm });
    }
    return results;
  } finally {
    stopSccache(port);
    for (const root of roots) root.remove();
    await mod.stop();
    forget();
  }
}

interface CompileCounts {
  total: number;
  /** Distinct crate/target pairs, and distinct crate/target/feature-set units. */
  pairs: number;
  units: number;
  /** Dependency units compiled more than once (the goal: none), `crate (target) xN`. */
  repeated: string[];
  /** The workspace's own units compiled more than once (the wheel step should find them fresh). */
  repeatedOwn: string[];
  /** rustc seconds summed over the compilations. */
  rustcSeconds: number;
  /** Of those, the seconds in units sccache never caches, by kind. */
  uncached: { workspace: number; procMacros: number; buildScripts: number; other: number };
}

/** sccache caches rlibs and static libraries: bins (build scripts too), cdylibs and proc-macros never. */
const CACHEABLE_CRATE_TYPES = new Set(["lib", "rlib", "staticlib"]);

/**
 * Compilations in one release's compile steps, per crate, target and feature set: the issue's
 * goal is each dependency once per target and feature set (a crate built with two feature sets,
 * e.g. the project's library without and with its `pyo3` feature, is two units).
 */
function compileCounts(phase: Phase): CompileCounts {
  const pairs = new Set<string>();
  const units = new Map<string, { n: number; own: boolean; label: string }>();
  let rustcSeconds = 0;
  const uncached = { workspace: 0, procMacros: 0, buildScripts: 0, other: 0 };
  for (const line of phase.compilations) {
    const [crate, target, types = "", features, , kind, pkg, seconds] = line.split("\t");
    rustcSeconds += Number(seconds);
    if (kind === "workspace") uncached.workspace += Number(seconds);
    else if (types === "proc-macro") uncached.procMacros += Number(seconds);
    else if (crate === "build_script_build") uncached.buildScripts += Number(seconds);
    else if (!types.split(",").every((t) => CACHEABLE_CRATE_TYPES.has(t))) {
      uncached.other += Number(seconds);
    }
    // A build script's crate is `build_script_build` whatever its package: tell them apart.
    const name = crate === "build_script_build" ? `${pkg} build script` : crate;
    pairs.add(`${name} ${pkg} ${target}`);
    const key = `${name} ${pkg} ${target} ${features}`;
    const unit = units.get(key) ?? {
      n: 0,
      own: kind === "workspace",
      label: `${name} (${target})`,
    };
    units.set(key, { ...unit, n: unit.n + 1 });
  }
  const repeated = (own: boolean) =>
    [...units.values()]
      .filter((u) => u.n > 1 && u.own === own)
      .map((u) => `${u.label} x${u.n}`)
      .sort();
  return {
    total: phase.compilations.length,
    pairs: pairs.size,
    units: units.size,
    repeated: repeated(false),
    repeatedOwn: repeated(true),
    rustcSeconds,
    uncached,
  };
}

/** Runs the case and returns the lines it prints. */
export async function benchCompileCache(
  fixtures: readonly string[],
  scratch: string,
  progress: (message: string) => void,
): Promise<string[]> {
  const lines = [
    "compile cache (sccache 0.16, local backend): a release's compile steps per target, cold vs warm",
    `${"fixture".padEnd(12)}${"target".padEnd(28)}${"cold s".padStart(8)}${"warm s".padStart(8)}` +
      `${"warm/cold".padStart(10)}${"warm hits".padStart(12)}${"same bin".padStart(10)}${"same whl".padStart(10)}`,
  ];
  const notes: string[] = [];
  for (const name of fixtures) {
    if (!FIXTURES[name]) throw new Error(`unknown fixture ${name}: ${Object.keys(FIXTURES)}`);
    const results = await benchFixture(name, join(scratch, name), progress);
    let [cold, warm] = [0, 0];
    for (const { triple, cold: c, warm: w } of results) {
      cold += c.seconds;
      warm += w.seconds;
      const hits = `${sum(w.stats, "hits")}/${sum(w.stats, "cacheable")}`;
      lines.push(
        `${name.padEnd(12)}${triple.padEnd(28)}${c.seconds.toFixed(1).padStart(8)}` +
          `${w.seconds.toFixed(1).padStart(8)}${(w.seconds / c.seconds).toFixed(2).padStart(10)}` +
          `${hits.padStart(12)}${String(c.binary === w.binary).padStart(10)}` +
          `${String(c.wheel === w.wheel).padStart(10)}`,
      );
      const counts = compileCounts(c);
      const warmCounts = compileCounts(w);
      const split = ({ rustcSeconds, uncached: u }: CompileCounts) =>
        `${rustcSeconds.toFixed(0)} s, of which sccache never caches ` +
        `${(u.workspace + u.procMacros + u.buildScripts + u.other).toFixed(0)} s: the project's ` +
        `own crates (its binaries and cdylib: their LTO, if any) ${u.workspace.toFixed(0)} s, ` +
        `proc-macros ${u.procMacros.toFixed(0)} s, build scripts ${u.buildScripts.toFixed(0)} s` +
        (u.other > 0 ? `, other dependencies ${u.other.toFixed(0)} s` : "");
      notes.push(
        `${name} ${triple}: rustc time summed over the compilations: cold ${split(counts)}; ` +
          `warm ${split(warmCounts)}`,
      );
      notes.push(
        `${name} ${triple}, cold: ${counts.total} rustc compilations of ${counts.units} ` +
          `crate/target/feature-set units (${counts.pairs} crate/target pairs); dependencies ` +
          `compiled more than once: ${counts.repeated.join(", ") || "none"}; the workspace's ` +
          `own: ${counts.repeatedOwn.join(", ") || "none"}`,
      );
    }
    lines.push(
      `${name.padEnd(12)}${"both targets".padEnd(28)}${cold.toFixed(1).padStart(8)}` +
        `${warm.toFixed(1).padStart(8)}${(warm / cold).toFixed(2).padStart(10)}` +
        "   (goal: warm <= 0.35x cold)",
    );
  }
  return [...lines, ...notes];
}
