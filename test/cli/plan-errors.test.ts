import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { run } from "../example/tools.js";
import { layoutCopy } from "../support/layouts.js";
import { npmRunPlan } from "../support/plan-cli.js";
import { scratchDir, writeTree } from "../support/projects.js";

/**
 * `npm run plan` on broken input: a TOML syntax error names the file (its path in the source),
 * the line and the column, and shows the line; a missing or empty --source says so. And
 * --write-source: the tree the release builds, which cargo accepts as it is.
 */
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function copy(layout: Parameters<typeof layoutCopy>[0], changes: Record<string, string | null>) {
  const dir = layoutCopy(layout, changes);
  cleanups.push(dir.remove);
  return dir.path;
}

async function planError(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await npmRunPlan(args);
  expect(code).not.toBe(0);
  expect(stdout).toBe("");
  return stderr;
}

describe("TOML syntax errors say where", () => {
  test.each([
    [
      "a member's Cargo.toml",
      "pinnedWorkspace",
      {
        "crates/foo-core/Cargo.toml":
          '[package]\nname = "foo-core"\nversion.workspace = true\n\n[dependencies]\nserde json = "1"\n',
      },
      [
        "error: crates/foo-core/Cargo.toml:6:7: not valid TOML: ",
        '6 | serde json = "1"',
        "          ^",
      ],
    ],
    [
      "a pyproject.toml below the root, an unterminated string",
      "pypiSubdir",
      {
        "pypi/pyproject.toml":
          '[build-system]\nbuild-backend = "maturin"\n\n[project]\nname = "qctl\ndynamic = ["version"]\n',
      },
      [
        "error: pypi/pyproject.toml:5:13: not valid TOML: ",
        '5 | name = "qctl',
        "                ^",
      ],
    ],
    [
      "a CRLF root Cargo.toml with a tab before the error",
      "pinnedWorkspace",
      { "Cargo.toml": '[workspace]\r\nmembers = ["crates/*"]\r\n\tresolver = 2.0.1\r\n' },
      [
        "error: Cargo.toml:3:16: not valid TOML: ",
        "3 | \tresolver = 2.0.1",
        "    \t              ^",
      ],
    ],
  ] as const)("%s", async (_case, layout, changes, expected) => {
    const stderr = await planError(["--source", copy(layout, changes), "--tag", "v1.0.0"]);
    const [first, line, caret] = stderr.split("\n");
    expect(first?.startsWith(expected[0])).toBe(true);
    expect(line).toBe(expected[1]);
    expect(caret).toBe(expected[2]);
  });

  test("an unfinished array at the end of the file", async () => {
    const stderr = await planError([
      "--source",
      copy("pyo3Abi3", { "pyproject.toml": '[tool.maturin]\nfeatures = ["pyo3"\n' }),
      "--tag",
      "v1.0.0",
    ]);
    expect(stderr).toMatch(/^error: pyproject\.toml:3:1: not valid TOML: [^\n]+\n3 \| \n {4}\^\n$/);
  });
});

describe("--source that is missing or empty", () => {
  test("a directory that does not exist", async () => {
    expect(await planError(["--source", "/nonexistent/project", "--tag", "v1.0.0"])).toBe(
      "error: --source /nonexistent/project does not exist or is not a directory\n",
    );
  });

  test("an empty directory", async () => {
    const dir = scratchDir("empty-source");
    cleanups.push(dir.remove);
    expect(await planError(["--source", dir.path, "--tag", "v1.0.0"])).toBe(
      "error: the source directory is empty (or does not exist): pass the project's directory, " +
        "the one holding Cargo.toml and Cargo.lock, with --source\n",
    );
  });
});

describe("--write-source: the tree the release builds", () => {
  test("pypi-subdir at v0.3.0: the patched manifests, nothing cargo never sees, accepted by cargo --locked", async () => {
    const source = copy("pypiSubdir", { "target/release/junk": "x", "dist/old.whl": "x" });
    const out = scratchDir("write-source");
    cleanups.push(out.remove);
    const to = join(out.path, "tree");
    const { code, stderr } = await npmRunPlan([
      "--source",
      source,
      "--tag",
      "v0.3.0",
      "--write-source",
      to,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(readdirSync(to).sort()).toEqual([
      "Cargo.lock",
      "Cargo.toml",
      "LICENSE",
      "README.md",
      "crates",
      "pypi",
    ]);
    expect(readFileSync(join(to, "Cargo.toml"), "utf8")).toContain(
      'qctl-core = { path = "crates/qctl-core", version = "0.3.0" }',
    );
    const { stdout } = await run(
      "cargo",
      ["metadata", "--locked", "--offline", "--no-deps", "--format-version", "1"],
      {
        cwd: to,
      },
    );
    expect(
      (JSON.parse(stdout) as { packages: { version: string }[] }).packages.map((p) => p.version),
    ).toEqual(["0.3.0", "0.3.0"]);
  });

  test("refuses a directory that is not empty, or inside the source", async () => {
    const source = copy("pypiSubdir", {});
    const out = scratchDir("write-source-busy");
    cleanups.push(out.remove);
    writeTree(out.path, { "keep.txt": "mine" });
    expect(
      await planError(["--source", source, "--tag", "v0.3.0", "--write-source", out.path]),
    ).toContain("is not empty: give a new or empty directory");
    mkdirSync(join(source, "patched"));
    expect(
      await planError([
        "--source",
        source,
        "--tag",
        "v0.3.0",
        "--write-source",
        join(source, "patched"),
      ]),
    ).toContain("lies inside --source: give a directory outside it");
  });
});
