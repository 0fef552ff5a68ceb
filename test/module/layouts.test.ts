import { posix } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { maturinBuildCommand, maturinSdistCommand } from "../../lib/commands/maturin.js";
import { DEFAULT_TARGETS, findTarget } from "../../lib/plan/targets.js";
import { IMAGES } from "../../lib/stages/images.js";
import { type ArgValue, directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import { execContainer } from "../harness/engine.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";
import {
  isCheckDist,
  isCompile,
  isMaturin,
  isMaturinBuild,
  isSmokeTest,
} from "../support/execs.js";
import { LAYOUTS } from "../support/layouts.js";

/**
 * `dagger call --source <layout> wheels / python-dist / release --dry-run` on the fixtures shaped
 * like py-spy (bin bindings) and like uv/ruff (manifest-path), and a pure Rust workspace:
 * what each would run, with the argv, the checks and the wheel names the plan predicts.
 */

const TAG = "v0.5.0-rc.1";
const HOST = findTarget("x86_64-unknown-linux-gnu");

/** The wheel of each target, as a real maturin build names it (see the replay tests). */
const WHEELS = {
  binBindings: (t: (typeof DEFAULT_TARGETS)[number]) =>
    `tracewatch_cli-0.5.0rc1-py3-none-${t.wheelPlatformTag}.whl`,
  manifestPath: (t: (typeof DEFAULT_TARGETS)[number]) =>
    `lintkit-0.5.0rc1-py3-none-${t.wheelPlatformTag}.whl`,
};
const SDISTS = {
  binBindings: "tracewatch_cli-0.5.0rc1.tar.gz",
  manifestPath: "lintkit-0.5.0rc1.tar.gz",
};

/**
 * The bytes of a produced file: an SBOM step's output is a CycloneDX document (the image's SBOM
 * reads it), here one that lists nothing; anything else, a stand-in.
 */
const fileBytes: Answers["file"] = ({ path }) =>
  path.endsWith(".cdx.json")
    ? '{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1}\n'
    : `bytes of ${posix.basename(path)}`;

/** What maturin writes for a layout, and what its CLI answers to --version. */
function built(layout: keyof typeof WHEELS, cli: string): Answers {
  return {
    entries: ({ path }) => {
      const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
      if (triple) return [WHEELS[layout](findTarget(triple))];
      return path === "/sdist" ? [SDISTS[layout]] : undefined;
    },
    file: fileBytes,
    exec: (e) => (e.argv.at(-1) === "--version" ? { stdout: `${cli} 0.5.0-rc.1\n` } : undefined),
  };
}

const source = (path: string): Record<string, ArgValue> => ({ source: directoryArg(path) });

/** The executable each Python layout's CLI is (what answers --version). */
const CLI = { binBindings: "twatch", manifestPath: "lintkit" } as const;
const specOf = (e: ExecRecord | undefined) => JSON.parse(e?.argv[2] ?? "null");

const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

/** `dagger call --source <layout> <fn> <args>`, maturin and the CLI answering as real ones. */
async function callOn(layout: keyof typeof WHEELS, fn: string, args: Record<string, ArgValue>) {
  const outcome = await mod.call(fn, args, {
    module: source(LAYOUTS[layout]),
    answers: built(layout, CLI[layout]),
  });
  expect(outcome.error).toBeUndefined();
  return outcome;
}

describe("bin bindings (py-spy's shape)", () => {
  test("wheels --target: maturin at the root, a py3-none wheel checked for its executable, which the smoke test runs", async () => {
    const outcome = await callOn("binBindings", "wheels", { target: HOST.triple, tag: TAG });
    const builds = outcome.model.execs.filter(isMaturinBuild);
    expect(builds.map((e) => [e.argv, e.workdir])).toEqual([
      [maturinBuildCommand(HOST, `/wheels/${HOST.triple}`), "/src"],
    ]);
    // maturin reads the tag's PEP 440 version from the patched pyproject.toml.
    const index = outcome.model.execs.indexOf(builds[0] as ExecRecord);
    expect(execContainer(mod.engine, index).text("/src/pyproject.toml")).toContain(
      'version = "0.5.0rc1"',
    );
    const wheel = `/dist/${WHEELS.binBindings(HOST)}`;
    expect(specOf(outcome.model.execs.find(isCheckDist))).toEqual({
      version: "0.5.0rc1",
      project: "tracewatch-cli",
      wheels: [
        {
          path: wheel,
          platformTag: HOST.wheelPlatformTag,
          pythonTag: "py3",
          abiTag: "none",
          executables: ["twatch"],
        },
      ],
      sdist: null,
    });
    expect(specOf(outcome.model.execs.find(isSmokeTest))).toEqual({
      importName: null,
      script: "twatch",
      wheel: `/wheel/${WHEELS.binBindings(HOST)}`,
      version: "0.5.0-rc.1",
    });
  });

  test("wheels --target x86_64-pc-windows-msvc: the executable is twatch.exe, no pyo3 features", async () => {
    const windows = findTarget("x86_64-pc-windows-msvc");
    const outcome = await callOn("binBindings", "wheels", { target: windows.triple, tag: TAG });
    const build = outcome.model.execs.find(isMaturinBuild);
    expect(build?.argv).toEqual(maturinBuildCommand(windows, `/wheels/${windows.triple}`));
    expect(build?.image).toBe(IMAGES.xwin);
    expect(specOf(outcome.model.execs.find(isCheckDist)).wheels[0]).toMatchObject({
      path: `/dist/${WHEELS.binBindings(windows)}`,
      executables: ["twatch.exe"],
    });
  });

  test("python-dist: five wheels and the sdist, named from the PyPI project", async () => {
    const outcome = await callOn("binBindings", "pythonDist", { tag: TAG });
    // The five builds run concurrently: in no particular order.
    const builds = outcome.model.execs.filter(isMaturinBuild).map((e) => e.argv);
    expect(builds).toHaveLength(5);
    for (const t of DEFAULT_TARGETS) {
      expect(builds).toContainEqual(maturinBuildCommand(t, `/wheels/${t.triple}`));
    }
    expect(outcome.model.execs.map((e) => e.argv)).toContainEqual(maturinSdistCommand("/sdist"));
    const spec = specOf(outcome.model.execs.find(isCheckDist));
    expect(spec.wheels.map((w: { path: string }) => w.path)).toEqual([
      "/dist/tracewatch_cli-0.5.0rc1-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
      "/dist/tracewatch_cli-0.5.0rc1-py3-none-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
      "/dist/tracewatch_cli-0.5.0rc1-py3-none-macosx_10_12_x86_64.whl",
      "/dist/tracewatch_cli-0.5.0rc1-py3-none-macosx_11_0_arm64.whl",
      "/dist/tracewatch_cli-0.5.0rc1-py3-none-win_amd64.whl",
    ]);
    expect(spec.sdist).toEqual({ path: `/dist/${SDISTS.binBindings}` });
    expect(outcome.model.execs.filter(isSmokeTest)).toHaveLength(1);
  });

  test("release --dry-run: archives named after the executable, staged with the wheels; wheels for both indexes", async () => {
    const outcome = await callOn("binBindings", "release", { tag: TAG, dryRun: true });
    const compiles = outcome.model.execs.filter(isCompile).map((e) => e.argv[2]);
    expect(compiles).toHaveLength(5);
    for (const t of DEFAULT_TARGETS) {
      expect(compiles).toContainEqual(
        expect.stringContaining(`--target ${t.buildTarget} --bin twatch\n`),
      );
    }
    const report = String(outcome.value);
    expect(report).toMatch(/^Dry run: Release v0\.5\.0-rc\.1 of tracewatch /);
    for (const t of DEFAULT_TARGETS) {
      expect(report).toMatch(new RegExp(`would stage\\s+twatch-${t.triple}\\.${t.archiveFormat}`));
      expect(report).toMatch(new RegExp(`would stage\\s+${WHEELS.binBindings(t)}`));
    }
    for (const index of ["TestPyPI", "PyPI"]) {
      const section = report.split(`\n${index} (`)[1] ?? "";
      for (const name of [...DEFAULT_TARGETS.map(WHEELS.binBindings), SDISTS.binBindings]) {
        expect(section).toContain(`would publish  ${name}`);
      }
    }
  });
});

describe("manifest-path into a workspace (uv's and ruff's shape)", () => {
  test("wheels --target: maturin at the root reads manifest-path; the smoke test imports the shipped package", async () => {
    const outcome = await callOn("manifestPath", "wheels", { target: HOST.triple, tag: TAG });
    const build = outcome.model.execs.find(isMaturinBuild);
    expect([build?.argv, build?.workdir]).toEqual([
      maturinBuildCommand(HOST, `/wheels/${HOST.triple}`),
      "/src",
    ]);
    const index = outcome.model.execs.indexOf(build as ExecRecord);
    expect(execContainer(mod.engine, index).files("/src")).toEqual(
      expect.arrayContaining([
        "pyproject.toml",
        "crates/lintkit/Cargo.toml",
        "python/lintkit/__init__.py",
      ]),
    );
    expect(specOf(outcome.model.execs.find(isCheckDist)).wheels).toEqual([
      {
        path: `/dist/${WHEELS.manifestPath(HOST)}`,
        platformTag: HOST.wheelPlatformTag,
        pythonTag: "py3",
        abiTag: "none",
        executables: ["lintkit", "lintkitx"],
      },
    ]);
    expect(specOf(outcome.model.execs.find(isSmokeTest))).toMatchObject({
      importName: "lintkit",
      script: "lintkit",
      version: "0.5.0-rc.1",
    });
  });

  test("python-dist: five wheels and the sdist of lintkit", async () => {
    const outcome = await callOn("manifestPath", "pythonDist", { tag: TAG });
    expect(outcome.model.execs.filter(isMaturinBuild)).toHaveLength(5);
    const spec = specOf(outcome.model.execs.find(isCheckDist));
    expect(spec.project).toBe("lintkit");
    expect(spec.wheels.map((w: { path: string }) => w.path)).toEqual([
      "/dist/lintkit-0.5.0rc1-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
      "/dist/lintkit-0.5.0rc1-py3-none-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
      "/dist/lintkit-0.5.0rc1-py3-none-macosx_10_12_x86_64.whl",
      "/dist/lintkit-0.5.0rc1-py3-none-macosx_11_0_arm64.whl",
      "/dist/lintkit-0.5.0rc1-py3-none-win_amd64.whl",
    ]);
    expect(spec.sdist).toEqual({ path: `/dist/${SDISTS.manifestPath}` });
  });

  test("release --dry-run: the member's two binaries in every archive; its wheels for PyPI", async () => {
    const outcome = await callOn("manifestPath", "release", { tag: TAG, dryRun: true });
    const compiles = outcome.model.execs.filter(isCompile);
    expect(compiles).toHaveLength(5);
    for (const compile of compiles) {
      expect(compile.argv[2]).toContain("--bin lintkit --bin lintkitx\n");
    }
    const report = String(outcome.value);
    expect(report).toMatch(/would stage\s+lintkit-x86_64-pc-windows-msvc\.zip/);
    expect(report).toMatch(/would publish\s+ghcr\.io\/example\/lintkit:v0\.5\.0-rc\.1/);
    expect(report).toContain(`would publish  ${WHEELS.manifestPath(HOST)}`);
    expect(report).toContain(`would publish  ${SDISTS.manifestPath}`);
  });
});

describe("a pure Rust workspace, released with --cargo-package", () => {
  const beta = (): Record<string, ArgValue> => ({
    ...source(LAYOUTS.pureRustWorkspace),
    cargoPackage: "beta",
  });
  const betaVersion: Answers = {
    file: fileBytes,
    exec: (e) => (e.argv.at(-1) === "--version" ? { stdout: "beta 1.3.0\n" } : undefined),
  };

  test("release --dry-run: beta's binaries, PyPI not applicable, nothing for maturin", async () => {
    const outcome = await mod.call(
      "release",
      { tag: "v1.3.0", dryRun: true },
      { module: beta(), answers: betaVersion },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.execs.filter(isMaturin)).toEqual([]);
    expect(outcome.model.execs.filter(isCompile)[0]?.argv[2]).toContain(
      "--bin beta --bin beta-admin",
    );
    const report = String(outcome.value);
    expect(report.split("\n")[0]).toBe("Dry run: Release v1.3.0 of beta (cargo 1.3.0)");
    expect(report).toMatch(/would stage\s+beta-x86_64-unknown-linux-gnu\.tar\.gz/);
    expect(report).toMatch(
      /\nTestPyPI\n\s+not applicable\s+-\s+no maturin pyproject\.toml at the root or below it; [^\n]+\n\nPyPI\n\s+not applicable\s+-\s+no maturin pyproject\.toml at the root or below it; [^\n]+--python-project <dir>\)\n/,
    );
    // Nothing would go to either index.
    expect(report).not.toMatch(/PyPI[^\n]*\n\s+would publish/);
    expect(report.trim().endsWith("OK")).toBe(true);
  });

  test.each([
    ["wheels", { tag: "v1.3.0" }],
    ["sdist", {}],
    ["publishPython", { tag: "v1.3.0" }],
  ])("%s fails before any container, saying why the project has no wheels", async (fn, args) => {
    const outcome = await mod.call(fn, args, { module: beta() });
    expect(outcome.error).toContain(
      '"beta" has no wheels or sdist to build: no maturin pyproject.toml at the root or below it; not searched: target/,',
    );
    expect(outcome.model.containers).toEqual([]);
  });

  test("without --cargo-package, the call fails naming the packages with binaries", async () => {
    const outcome = await mod.call("build", {}, { module: source(LAYOUTS.pureRustWorkspace) });
    expect(outcome.error).toContain(
      "several packages that have binaries: alpha, beta. Choose the one to release with --cargo-package <name>",
    );
    expect(outcome.model.containers).toEqual([]);
  });
});
