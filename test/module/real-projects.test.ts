import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { importLibraryDir, python3ImplibCommand } from "../../lib/commands/python3-implib.js";
import type { ReleasePlan } from "../../lib/plan/release-plan.js";
import { findTarget } from "../../lib/plan/targets.js";
import { type ArgValue, directoryArg, ModuleUnderTest, REPO_ROOT } from "../harness/dagger-call.js";
import { execContainer } from "../harness/engine.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";
import { isCompile, isMaturin, isMaturinBuild } from "../support/execs.js";
import { LAYOUTS, type Layout, layoutCopy } from "../support/layouts.js";
import { planFor } from "../support/plan.js";
import { npmRunPlan } from "../support/plan-cli.js";
import { readProject, scratchDir } from "../support/projects.js";
import { cannedSbom } from "../support/release-scenario.js";

/**
 * `dagger call --source <fixture> release --tag ... --dry-run` through the SDK on the projects
 * issue 19 is about, as committed: a workspace pinning its members by version (0.x and 1.x), a
 * maturin pyproject.toml in pypi/ and next to the CLI crate, and the seed's own shape (pyo3 0.20
 * abi3 without generate-import-lib). Each plans and dry-runs without edits; what the containers
 * get is the patched tree, and maturin runs where pyproject.toml is.
 */
const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const WINDOWS = findTarget("x86_64-pc-windows-msvc");

/** What maturin writes and the binaries answer, as real ones would for this plan. */
function answersFor(plan: ReleasePlan): Answers {
  return {
    entries: ({ path }) => {
      const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
      const wheel = plan.targets.find((t) => t.triple === triple)?.wheel;
      if (wheel) return [wheel];
      return path === "/sdist" && plan.python ? [plan.python.sdist] : undefined;
    },
    file: ({ path }) => {
      const name = posix.basename(path);
      // The SBOM beside an archive is read back for the image's SBOM: a document, as sbom.py writes.
      return name.endsWith(".cdx.json")
        ? cannedSbom(name, plan.version.cargo, plan.project)
        : `bytes of ${name}`;
    },
    exec: (e) =>
      e.argv.at(-1) === "--version"
        ? { stdout: `${plan.project.primaryBin} ${plan.version.cargo}\n` }
        : undefined,
  };
}

async function dryRun(layout: Layout, tag: string, module: Record<string, ArgValue> = {}) {
  const plan = await planFor({ files: await readProject(LAYOUTS[layout]), tag });
  const outcome = await mod.call(
    "release",
    { tag, dryRun: true },
    { module: { source: directoryArg(LAYOUTS[layout]), ...module }, answers: answersFor(plan) },
  );
  expect(outcome.error).toBeUndefined();
  return { plan, outcome, report: String(outcome.value) };
}

/** A file of the source as the container that ran `exec` had it. */
function seen(exec: ExecRecord | undefined, path: string): string {
  if (!exec) throw new Error("no such step");
  return execContainer(mod.engine, mod.engine.model.execs.indexOf(exec)).text(path);
}

describe("release --dry-run through the SDK, each project as committed", () => {
  test.each([
    ["pinnedWorkspace", "v0.5.0"],
    ["pinnedWorkspace1x", "v2.0.0-rc.1"],
  ] as const)("%s %s: the builds get the rewritten requirements", async (layout, tag) => {
    const { plan, outcome, report } = await dryRun(layout, tag);
    expect(report.split("\n")[0]).toBe(
      `Dry run: Release ${tag} of ${plan.project.packageName} (cargo ${plan.version.cargo})`,
    );
    expect(report.trim().endsWith("OK")).toBe(true);
    const compile = outcome.model.execs.find(isCompile);
    // The first rewritten requirement, as the build container has the file.
    const first = plan.versionPatch?.requirements[0];
    expect(first).toBeDefined();
    const text = seen(compile, `/src/${first?.file}`);
    expect(text.split("\n")[(first?.line ?? 0) - 1]).toContain(`"${first?.after}"`);
    expect(seen(compile, "/src/Cargo.lock")).not.toContain(`"${plan.project.currentVersion}"\n`);
  });

  test("pypi-subdir: maturin builds and packs from /src/pypi, the patched workspace under it", async () => {
    const { plan, outcome, report } = await dryRun("pypiSubdir", "v0.3.0");
    expect(plan.python?.pyproject.file).toBe("pypi/pyproject.toml");
    const maturin = outcome.model.execs.filter(isMaturin);
    expect(maturin.length).toBe(plan.targets.length + 1);
    expect(new Set(maturin.map((e) => e.workdir))).toEqual(new Set(["/src/pypi"]));
    expect(seen(maturin[0], "/src/Cargo.toml")).toContain(
      'qctl-core = { path = "crates/qctl-core", version = "0.3.0" }',
    );
    expect(report).toMatch(/would publish\s+qctl-0\.3\.0-py3-none-manylinux2014_x86_64/);
  });

  test("cli-pyproject: maturin in /src/crates/lintr, whose static version is the tag's", async () => {
    const { outcome, report } = await dryRun("cliPyproject", "v1.0.0-beta.1");
    const build = outcome.model.execs.find(isMaturinBuild);
    expect(build?.workdir).toBe("/src/crates/lintr");
    expect(seen(build, "/src/crates/lintr/pyproject.toml")).toContain('version = "1.0.0b1"');
    expect(report).toMatch(/would publish\s+lintr-1\.0\.0b1\.tar\.gz/);
  });

  test("the seed's shape (pyo3 0.20 abi3, no python3-dll-a): the Windows wheel gets python3.lib made for it", async () => {
    const { plan, outcome, report } = await dryRun("pyo3Abi3", "v0.2.0");
    expect(plan.python?.windows?.way).toBe("python3.def");
    const windows = outcome.model.execs.filter((e) => e.image?.includes("cargo-xwin"));
    const implib = windows.find((e) => e.argv[1]?.endsWith("make-python3-implib.sh"));
    const build = windows.find(isMaturinBuild);
    expect(implib?.argv).toEqual(python3ImplibCommand(WINDOWS));
    expect(build?.env.PYO3_CROSS_LIB_DIR).toBe(importLibraryDir(WINDOWS));
    expect(build?.argv).not.toContain("--features");
    // The step that makes it runs before maturin, in the same container.
    expect(outcome.model.execs.indexOf(implib as ExecRecord)).toBeLessThan(
      outcome.model.execs.indexOf(build as ExecRecord),
    );
    // The script and the pinned def are there, the def byte for byte the module's.
    expect(seen(implib, "/rust-release/pyo3/python3.def")).toBe(
      readFileSync(join(REPO_ROOT, "container-scripts/pyo3/python3.def"), "utf8"),
    );
    // Cargo.toml and Cargo.lock reach the build as committed, apart from the version.
    expect(seen(build, "/src/Cargo.lock")).not.toContain("python3-dll-a");
    expect(report).toMatch(/would publish\s+sample_usage-0\.2\.0-cp38-abi3-win_amd64\.whl/);
    // Other targets get nothing of it.
    expect(outcome.model.execs.filter((e) => e.env.PYO3_CROSS_LIB_DIR !== undefined)).toEqual([
      build,
    ]);
  });
});

describe("--report-format markdown", () => {
  test("the dry run's report as a job summary: a heading, a table per destination, the outcome", async () => {
    const plan = await planFor({ files: await readProject(LAYOUTS.pypiSubdir), tag: "v0.3.0" });
    const outcome = await mod.call(
      "release",
      { tag: "v0.3.0", dryRun: true, reportFormat: "markdown" },
      { module: { source: directoryArg(LAYOUTS.pypiSubdir) }, answers: answersFor(plan) },
    );
    expect(outcome.error).toBeUndefined();
    const markdown = String(outcome.value);
    expect(markdown.split("\n")[0]).toBe(
      "### Dry run: Release v0.3.0 of qctl (cargo 0.3.0, python 0.3.0)",
    );
    expect(markdown).toContain("| outcome | file | detail |\n|---|---|---|\n");
    expect(markdown).toMatch(
      /\n\| would stage \| `qctl-x86_64-unknown-linux-gnu\.tar\.gz` \| [^\n]* \|\n/,
    );
    expect(markdown.trim().endsWith("**OK**")).toBe(true);
  });

  test("an unknown format is refused before any container", async () => {
    const outcome = await mod.call(
      "release",
      { tag: "v0.3.0", dryRun: true, reportFormat: "html" },
      { module: { source: directoryArg(LAYOUTS.pypiSubdir) } },
    );
    expect(outcome.error).toContain(
      'invalid --report-format "html": give text (the default) or markdown',
    );
    expect(outcome.model.containers).toEqual([]);
  });
});

describe("--python-project and source --tag", () => {
  test("--python-project pypi: the same release as found", async () => {
    const { plan } = await dryRun("pypiSubdir", "v0.3.0", { pythonProject: "pypi" });
    expect(plan.python?.pyproject.dir).toBe("pypi");
    const outcome = await mod.call(
      "plan",
      { tag: "v0.3.0" },
      { module: { source: directoryArg(LAYOUTS.pypiSubdir), pythonProject: "pypi" } },
    );
    expect(JSON.parse(String(outcome.value)).python.pyproject.origin).toBe("--python-project");
  });

  test("source --tag returns the patched tree the release builds", async () => {
    const outcome = await mod.call(
      "source",
      { tag: "v0.5.0" },
      { module: { source: directoryArg(LAYOUTS.pinnedWorkspace) } },
    );
    expect(outcome.error).toBeUndefined();
    if (!outcome.returned) throw new Error("source returned no Directory");
    const out = scratchDir("source-tag");
    cleanups.push(out.remove);
    const dir = mod.engine.exportReturned(outcome.returned, join(out.path, "tree"));
    const plan = await planFor({
      files: await readProject(LAYOUTS.pinnedWorkspace),
      tag: "v0.5.0",
    });
    for (const file of plan.versionPatch?.files ?? []) {
      expect(readFileSync(join(dir, file), "utf8"), file).not.toBe(
        readFileSync(join(LAYOUTS.pinnedWorkspace, file), "utf8"),
      );
    }
    expect(readdirSync(dir).sort()).toEqual(readdirSync(LAYOUTS.pinnedWorkspace).sort());
    expect(readFileSync(join(dir, "Cargo.toml"), "utf8")).toContain(
      'foo-fmt = { version = "=0.5.0", path = "crates/foo-fmt", default-features = false }',
    );
  });

  test("source --tag and npm run plan --write-source give the same tree, byte for byte", async () => {
    const project = layoutCopy("pypiSubdir", { "target/debug/junk": "x", "dist/old.whl": "x" });
    cleanups.push(project.remove);
    const out = scratchDir("same-tree");
    cleanups.push(out.remove);
    const outcome = await mod.call(
      "source",
      { tag: "v0.3.0-rc.1" },
      { module: { source: directoryArg(project.path), pythonProject: "pypi" } },
    );
    if (!outcome.returned) throw new Error(outcome.error ?? "source returned no Directory");
    const engine = mod.engine.exportReturned(outcome.returned, join(out.path, "engine"));
    const written = join(out.path, "written");
    const cli = await npmRunPlan([
      "--source",
      project.path,
      "--tag",
      "v0.3.0-rc.1",
      "--python-project",
      "pypi",
      "--write-source",
      written,
    ]);
    expect(cli.code).toBe(0);
    const tree = (root: string) =>
      Object.fromEntries(
        (readdirSync(root, { recursive: true }) as string[])
          .filter((path) => statSync(join(root, path)).isFile())
          .sort()
          .map((path) => [path, readFileSync(join(root, path), "utf8")]),
      );
    const files = tree(written);
    expect(Object.keys(files)).not.toContain("dist/old.whl");
    expect(Object.keys(files).some((f) => f.startsWith("target/"))).toBe(false);
    expect(files["Cargo.lock"]).toContain('name = "qctl"\nversion = "0.3.0-rc.1"');
    expect(tree(engine)).toEqual(files);
  });

  test("source --tag on a broken manifest fails with file and line, before any container", async () => {
    const outcome = await mod.call(
      "source",
      { tag: "v1.0" },
      { module: { source: directoryArg(LAYOUTS.pinnedWorkspace) } },
    );
    expect(outcome.error).toContain('invalid tag "v1.0"');
    expect(outcome.model.containers).toEqual([]);
  });
});
