import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { loadProjectFiles } from "../../lib/plan/project-files.js";
import { localSourceReader } from "../../scripts/local-source.js";
import { LAYOUTS, type Layout, layoutCopy } from "../support/layouts.js";
import { type PlanInput, planFor } from "../support/plan.js";
import { readProject } from "../support/projects.js";

/**
 * A maturin pyproject.toml below the root: clickhousectl's pypi/pyproject.toml with
 * manifest-path, sqruff's crates/cli/pyproject.toml next to the CLI crate; found when it is the
 * only one, named with --python-project, refused (listed) when there are several.
 */
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function plan(
  layout: Layout,
  changes: Record<string, string | null> = {},
  input: Partial<PlanInput> = {},
) {
  const copy = layoutCopy(layout, changes);
  cleanups.push(copy.remove);
  return planFor({
    files: await readProject(copy.path, input.pythonProject),
    tag: "v0.3.0-rc.1",
    ...input,
  });
}

async function refusal(...args: Parameters<typeof plan>): Promise<string> {
  const error = await plan(...args).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlanError);
  return (error as Error).message;
}

const QCTL_PYPROJECT = readFileSync(join(LAYOUTS.pypiSubdir, "pypi/pyproject.toml"), "utf8");

describe("a maturin pyproject.toml below the root", () => {
  test("pypi/pyproject.toml (clickhousectl's shape): found, maturin runs there, manifest-path resolved from it", async () => {
    const planned = await plan("pypiSubdir");
    expect(planned.python?.pyproject).toEqual({
      file: "pypi/pyproject.toml",
      dir: "pypi",
      origin: "found",
    });
    expect(planned.project).toMatchObject({ packageName: "qctl", packageDir: "crates/qctl" });
    expect(planned.python).toMatchObject({
      project: "qctl",
      bindings: "bin",
      executables: ["qctl"],
    });
    expect(planned.python?.wheels[0]).toBe(
      "qctl-0.3.0rc1-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    );
    expect(planned.noPython).toBeNull();
  });

  test("crates/lintr/pyproject.toml (sqruff's shape): found; its static version is patched where it is", async () => {
    const planned = await plan("cliPyproject");
    expect(planned.python?.pyproject).toEqual({
      file: "crates/lintr/pyproject.toml",
      dir: "crates/lintr",
      origin: "found",
    });
    expect(planned.project.packageName).toBe("lintr");
    expect(planned.versionPatch?.pyproject).toEqual({
      file: "crates/lintr/pyproject.toml",
      from: "0.9.2",
      to: "0.3.0rc1",
    });
    expect(planned.versionPatch?.files).toContain("crates/lintr/pyproject.toml");
  });

  test("--python-project names it; a root pyproject.toml of another backend then does not matter", async () => {
    const planned = await plan(
      "pypiSubdir",
      {
        "pyproject.toml":
          '[project]\nname = "docs"\n[build-system]\nbuild-backend = "hatchling.build"\n',
        "other/pyproject.toml": QCTL_PYPROJECT.replace('"qctl"', '"qctl-other"'),
      },
      { pythonProject: "pypi" },
    );
    expect(planned.python?.pyproject).toEqual({
      file: "pypi/pyproject.toml",
      dir: "pypi",
      origin: "--python-project",
    });
  });

  test("without the flag, several are refused, listed, naming the flag", async () => {
    const message = await refusal("pypiSubdir", {
      "python/pyproject.toml": QCTL_PYPROJECT.replace('"qctl"', '"qctl-other"'),
    });
    expect(message).toBe(
      "the source has several maturin pyproject.toml files below its root: pypi/pyproject.toml, " +
        "python/pyproject.toml. Choose the one to release with --python-project <dir>, e.g. " +
        "--python-project pypi",
    );
  });

  test.each([
    "tests/pkg/pyproject.toml",
    "test/pyproject.toml",
    "fixtures/a/pyproject.toml",
    "examples/demo/pyproject.toml",
    "target/wheels/pyproject.toml",
    ".github/pyproject.toml",
    "crates/qctl/.venv/lib/pyproject.toml",
    "vendor/pyo3/pyproject.toml",
    "build/pyproject.toml",
  ])("a maturin pyproject.toml in %s is not the project's", async (path) => {
    const planned = await plan("pypiSubdir", {
      [path]: QCTL_PYPROJECT.replace('"qctl"', '"not-this-one"'),
      // build/ is ignored by .gitignore, like a real checkout's build output.
      ".gitignore": "/build\n*.whl\n",
    });
    expect(planned.python?.pyproject.file).toBe("pypi/pyproject.toml");
  });

  test("the same build/ without the .gitignore entry is searched", async () => {
    const message = await refusal("pypiSubdir", {
      "build/pyproject.toml": QCTL_PYPROJECT.replace('"qctl"', '"not-this-one"'),
    });
    expect(message).toContain("build/pyproject.toml, pypi/pyproject.toml");
  });

  test("a root pyproject.toml that builds with maturin wins over any below", async () => {
    const root = QCTL_PYPROJECT.replace('"../crates/qctl/Cargo.toml"', '"crates/qctl/Cargo.toml"');
    const planned = await plan("pypiSubdir", { "pyproject.toml": root });
    expect(planned.python?.pyproject).toEqual({ file: "pyproject.toml", dir: "", origin: "root" });
  });
});

describe("pure Rust: python is null, and the plan says why", () => {
  test("no pyproject.toml anywhere", async () => {
    const planned = await plan("pureRustWorkspace", {}, { cargoPackage: "beta" });
    expect(planned.python).toBeNull();
    expect(planned.noPython).toMatch(
      /^no maturin pyproject\.toml at the root or below it; not searched: target\/, test\/, tests\/, fixtures\/, examples\/, example\/, vendor\/, node_modules\/, __pycache__\/, dist\/, hidden and \.gitignored directories \(name one with --python-project <dir>\)$/,
    );
  });

  test("a tools-only root pyproject.toml and a non-maturin one below", async () => {
    const planned = await plan(
      "pureRustWorkspace",
      {
        "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        "scripts/pyproject.toml":
          '[project]\nname = "helpers"\n[build-system]\nbuild-backend = "hatchling.build"\n',
      },
      { cargoPackage: "beta" },
    );
    expect(planned.python).toBeNull();
    expect(planned.noPython).toContain(
      "none of the pyproject.toml files builds with maturin (scripts/pyproject.toml) below the root (the root's only configures tools)",
    );
  });
});

describe("--python-project refusals, before any work", () => {
  test.each([
    ["nowhere", "--python-project nowhere: nowhere/pyproject.toml does not exist in the source"],
    ["../elsewhere", "--python-project ../elsewhere: give a directory inside the source"],
    ["crates", "--python-project crates: crates/pyproject.toml does not exist in the source"],
  ])("%s", async (dir, message) => {
    expect(await refusal("pypiSubdir", {}, { pythonProject: dir })).toContain(message);
  });

  test("a pyproject.toml that describes no package", async () => {
    expect(
      await refusal(
        "pypiSubdir",
        { "tools/pyproject.toml": "[tool.black]\n" },
        { pythonProject: "tools" },
      ),
    ).toContain("--python-project tools: tools/pyproject.toml describes no Python package");
  });

  test("a manifest-path that leaves the source, resolved from the pyproject's directory", async () => {
    const outside = QCTL_PYPROJECT.replace(
      '"../crates/qctl/Cargo.toml"',
      '"../../qctl/Cargo.toml"',
    );
    expect(await refusal("pypiSubdir", { "pypi/pyproject.toml": outside })).toContain(
      'pypi/pyproject.toml sets [tool.maturin] manifest-path = "../../qctl/Cargo.toml", outside the source directory',
    );
  });

  test("a manifest-path to nowhere names the file it resolves to", async () => {
    const missing = QCTL_PYPROJECT.replace("crates/qctl/", "crates/qctl-cli/");
    expect(await refusal("pypiSubdir", { "pypi/pyproject.toml": missing })).toBe(
      'pypi/pyproject.toml sets [tool.maturin] manifest-path = "../crates/qctl-cli/Cargo.toml" ' +
        "(crates/qctl-cli/Cargo.toml in the source), which does not exist",
    );
  });
});

describe("the loader reads each file once", () => {
  test("discovery reads each candidate once, and never the ones it skips", async () => {
    const copy = layoutCopy("pypiSubdir", { "tests/x/pyproject.toml": QCTL_PYPROJECT });
    cleanups.push(copy.remove);
    const reads: string[] = [];
    const reader = localSourceReader(copy.path);
    const counting = {
      ...reader,
      read: (path: string) => {
        reads.push(path);
        return reader.read(path);
      },
    };
    await loadProjectFiles(counting);
    expect(reads.filter((p) => p.endsWith("pyproject.toml")).sort()).toEqual([
      "pypi/pyproject.toml",
      "pyproject.toml",
    ]);
    expect(new Set(reads).size).toBe(reads.length);
  });
});
