import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkDistCommand } from "../../lib/commands/check-dist.js";
import type { Target } from "../../lib/plan/target.js";
import { DEFAULT_TARGETS, findTarget } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import { type ArgValue, directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";
import { auditableMount } from "../support/auditable.js";
import { isCheckDist, isMaturin, isMaturinBuild, isSmokeTest, isVendor } from "../support/execs.js";
import type { FreshRoot } from "../support/fresh-root.js";
import { LAYOUTS } from "../support/layouts.js";
import { scratchDir } from "../support/projects.js";
import { type ReplayOptions, replayInFreshRoot } from "../support/replay.js";
import { rewriteWheel } from "./python-dists.js";
import { auditDataByObjcopy, EXAMPLE_DIR, failureOf, runArgv } from "./sample-binaries.js";

/**
 * `dagger call --source <layout> wheels --tag v0.5.0-rc.1` (and `sdist`) on the bin-bindings
 * fixture (py-spy's shape), the manifest-path one (uv's and ruff's), and the two with the
 * maturin pyproject.toml below the root (clickhousectl's pypi/, sqruff's crates/cli/, maturin
 * running in that directory, with the members' requirements rewritten), the recorded steps
 * replayed with real tools in fresh roots, exactly as recorded: the vendoring, maturin, the
 * distribution check, `twine check` and the smoke test on the wheel maturin really built. The
 * smoke test installs it into a clean venv and runs the executable it installed, which must
 * print the patched version. The bin-bindings wheels of the other zig targets are built too:
 * their names are the ones the plan predicts.
 */

// Two tiny crates, nothing to download: seconds each; the rest is headroom for a busy machine.
const TIMEOUT_MS = 300_000;
const TAG = "v0.5.0-rc.1";
const HOST = findTarget("x86_64-unknown-linux-gnu");
const ZIG_TARGETS = DEFAULT_TARGETS.filter((target) => target.toolchain === "zig");
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");

interface LayoutCase {
  layout: "binBindings" | "manifestPath" | "pypiSubdir" | "cliPyproject";
  /** The PyPI project, as the distribution check names it. */
  project: string;
  /** The Python package the smoke test imports, if the wheel ships one. */
  imports: string | null;
  /** The executable the wheel installs and the smoke test runs. */
  executable: string;
  wheel: (target: Target) => string;
  sdist: string;
  /** Cross targets built besides the host's. */
  alsoFor: Target[];
  /** What the wheel holds besides its .dist-info. */
  members: string[];
}

const CASES: LayoutCase[] = [
  {
    layout: "binBindings",
    project: "tracewatch-cli",
    imports: null,
    executable: "twatch",
    wheel: (t) => `tracewatch_cli-0.5.0rc1-py3-none-${t.wheelPlatformTag}.whl`,
    sdist: "tracewatch_cli-0.5.0rc1.tar.gz",
    alsoFor: ZIG_TARGETS.filter((t) => t !== HOST),
    members: ["tracewatch_cli-0.5.0rc1.data/scripts/twatch"],
  },
  {
    layout: "manifestPath",
    project: "lintkit",
    imports: "lintkit",
    executable: "lintkit",
    wheel: (t) => `lintkit-0.5.0rc1-py3-none-${t.wheelPlatformTag}.whl`,
    sdist: "lintkit-0.5.0rc1.tar.gz",
    alsoFor: [],
    members: [
      "lintkit-0.5.0rc1.data/scripts/lintkit",
      "lintkit-0.5.0rc1.data/scripts/lintkitx",
      "lintkit/__init__.py",
      "lintkit/__main__.py",
    ],
  },
  {
    layout: "pypiSubdir",
    project: "qctl",
    imports: null,
    executable: "qctl",
    wheel: (t) => `qctl-0.5.0rc1-py3-none-${t.wheelPlatformTag}.whl`,
    sdist: "qctl-0.5.0rc1.tar.gz",
    alsoFor: [],
    members: ["qctl-0.5.0rc1.data/scripts/qctl"],
  },
  {
    layout: "cliPyproject",
    project: "lintr",
    imports: null,
    executable: "lintr",
    wheel: (t) => `lintr-0.5.0rc1-py3-none-${t.wheelPlatformTag}.whl`,
    sdist: "lintr-0.5.0rc1.tar.gz",
    alsoFor: [],
    members: ["lintr-0.5.0rc1.data/scripts/lintr"],
  },
];

function dir(path: string, readOnly = false) {
  mkdirSync(path, { recursive: true });
  return { host: path, readOnly };
}

/** maturin's output directories, named as the plan predicts, so the harness goes on. */
function predicted(c: LayoutCase): Answers {
  return {
    entries: ({ path }) => {
      const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
      if (triple) return [c.wheel(findTarget(triple))];
      return path === "/sdist" ? [c.sdist] : undefined;
    },
  };
}

describe.each(CASES)("the $layout fixture's Python artifacts, replayed", (c) => {
  const mod = new ModuleUnderTest();
  const scratch = scratchDir(`layout-wheels-${c.layout}`);
  const roots: FreshRoot[] = [];
  const module: Record<string, ArgValue> = { source: directoryArg(LAYOUTS[c.layout]) };
  let hostWheel: { exec: ExecRecord[]; name: string; bytes: Buffer };
  const crossWheels = new Map<string, string>();
  let sdist = "";

  async function replay(exec: ExecRecord | undefined, options: ReplayOptions = {}) {
    if (!exec) throw new Error("no such step was recorded");
    const result = await replayInFreshRoot(mod.engine, exec, options);
    roots.push(result.root);
    return result;
  }

  /** The vendoring step, replayed; every build reads what it wrote. */
  async function vendored(execs: ExecRecord[]): Promise<ReplayOptions> {
    const vendor = await replay(execs.find(isVendor), {
      mounts: { "/cargo-home": dir(join(CACHES, "cargo-home")) },
    });
    return {
      files: { "/.cargo/config.toml": readFileSync(vendor.root.path("/vendored/config.toml")) },
      mounts: {
        "/vendored": dir(vendor.root.path("/vendored"), true),
        "/cargo-target": dir(join(scratch.path, "cargo-target")),
        "/zig-cache": dir(join(CACHES, "zig")),
        "/root/.cache/uv": dir(join(CACHES, "uv")),
        ...(await auditableMount(mod.engine, execs)),
      },
    };
  }

  /** The one file a replayed maturin step wrote into `out`. */
  function onlyOutput(root: FreshRoot, out: string): { name: string; bytes: Buffer } {
    const [name, ...others] = readdirSync(root.path(out));
    if (name === undefined || others.length > 0) throw new Error(`${out}: ${[name, ...others]}`);
    return { name, bytes: readFileSync(root.path(`${out}/${name}`)) };
  }

  async function wheelOf(target: Target) {
    const outcome = await mod.call(
      "wheels",
      { target: target.triple, tag: TAG },
      { module, answers: predicted(c) },
    );
    if (outcome.error) throw new Error(outcome.error);
    const execs = outcome.model.execs;
    const built = await replay(execs.find(isMaturinBuild), await vendored(execs));
    return { exec: execs, ...onlyOutput(built.root, `/wheels/${target.triple}`) };
  }

  beforeAll(async () => {
    await mod.start();
    for (const target of c.alsoFor) crossWheels.set(target.triple, (await wheelOf(target)).name);
    const outcome = await mod.call("sdist", { tag: TAG }, { module, answers: predicted(c) });
    if (outcome.error) throw new Error(outcome.error);
    const execs = outcome.model.execs;
    const built = await replay(execs.find(isMaturin), await vendored(execs));
    sdist = onlyOutput(built.root, "/sdist").name;
    // Last: the tests replay this call's check steps, which the harness knows until the next call.
    hostWheel = await wheelOf(HOST);
  }, TIMEOUT_MS);

  afterAll(async () => {
    for (const root of roots) root.remove();
    scratch.remove();
    await mod.stop();
  });

  /** A recorded check step, replayed on the wheel maturin really built. */
  async function checkedStep(predicate: (e: ExecRecord) => boolean, at: string) {
    return replay(hostWheel.exec.find(predicate), {
      files: { [at]: hostWheel.bytes },
      mounts: { "/root/.cache/uv": dir(join(CACHES, "uv")) },
    });
  }

  test("maturin names the wheels and the sdist as the plan does", () => {
    expect(hostWheel.name).toBe(c.wheel(HOST));
    for (const target of c.alsoFor) expect(crossWheels.get(target.triple)).toBe(c.wheel(target));
    expect(sdist).toBe(c.sdist);
  });

  test("the distribution check passes it: py3-none tags, version 0.5.0rc1, the executables inside", async () => {
    const { stdout } = await checkedStep(isCheckDist, `/dist/${hostWheel.name}`);
    expect(stdout.trim()).toBe(
      `ok ${hostWheel.name}: ${c.project} ` +
        `0.5.0rc1, py3-none-manylinux2014_x86_64, py3-none-manylinux_2_17_x86_64`,
    );
  });

  test("twine check passes it", async () => {
    const { stdout } = await checkedStep(
      (e) => e.argv.includes("twine"),
      `/dist/${hostWheel.name}`,
    );
    expect(stdout).toContain("PASSED");
  }, 120_000);

  test("the smoke test installs it and its installed executable prints the patched version", async () => {
    const { stdout } = await checkedStep(isSmokeTest, `/wheel/${hostWheel.name}`);
    expect(stdout).toContain(`installed ${hostWheel.name}`);
    expect(stdout).toContain(`${c.executable} --help: ok`);
    expect(stdout).toContain(`${c.executable} --version: ${c.executable} 0.5.0-rc.1`);
    if (c.imports) {
      expect(stdout).toMatch(
        new RegExp(`^imported ${c.imports} from /\\S+/venv/\\S+/${c.imports}/__init__\\.py$`, "m"),
      );
    } else {
      expect(stdout).not.toContain("imported");
    }
  });

  test("the distribution check refuses the wheel without its executable", async () => {
    const [script] = c.members;
    mkdirSync(join(scratch.path, "doctored"), { recursive: true });
    const path = join(scratch.path, "doctored", hostWheel.name);
    writeFileSync(join(scratch.path, hostWheel.name), hostWheel.bytes);
    await rewriteWheel(join(scratch.path, hostWheel.name), path, { drop: [script as string] });
    const check = hostWheel.exec.find(isCheckDist);
    const spec = JSON.parse(check?.argv[2] as string);
    spec.wheels[0].path = path;
    const message = await failureOf(runArgv(checkDistCommand(spec)));
    expect(message).toMatch(
      new RegExp(`^${hostWheel.name.replaceAll(".", "\\.")}: has no ${script}$`, "m"),
    );
  });

  test("each executable in the wheel carries its dependency list (cargo-auditable)", async () => {
    const path = join(scratch.path, `listed-${hostWheel.name}`);
    writeFileSync(path, hostWheel.bytes);
    const out = join(scratch.path, "listed");
    for (const script of c.members.filter((m) => m.includes(".data/scripts/"))) {
      await run("unzip", ["-o", "-j", "-d", out, path, script]);
      const { packages } = await auditDataByObjcopy(join(out, posix.basename(script)), HOST);
      expect(packages.filter((p) => p.root).map((p) => [p.version, p.source])).toEqual([
        ["0.5.0-rc.1", "local"],
      ]);
    }
  });

  test("unzip lists the executables as scripts, and the Python package python-source ships", async () => {
    const path = join(scratch.path, hostWheel.name);
    writeFileSync(path, hostWheel.bytes);
    const { stdout } = await run("unzip", ["-Z1", path]);
    const members = stdout
      .trim()
      .split("\n")
      .filter((m) => !m.includes(".dist-info/"));
    expect(members.sort()).toEqual([...c.members].sort());
  });
});
