import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readManifest } from "../../lib/plan/manifest.js";
import { patchVersion } from "../../lib/plan/patch.js";
import { parseTag } from "../../lib/plan/version.js";
import { run } from "../example/tools.js";
import { layoutCopy } from "../support/layouts.js";
import { copyExample, readProject, scratchDir, writeTree } from "../support/projects.js";
import { SINGLE_PACKAGE, WORKSPACE } from "./fixtures.js";

const cleanups: (() => void)[] = [];

/** The files patchVersion rewrites, by path. */
async function patchedFiles(...args: Parameters<typeof patchVersion>) {
  return (await patchVersion(...args)).files;
}

/** Every workspace package's version as `cargo metadata --locked --offline` reads it. */
async function lockedVersions(dir: string): Promise<Record<string, string>> {
  const { stdout } = await run(
    "cargo",
    ["metadata", "--locked", "--offline", "--no-deps", "--format-version", "1"],
    { cwd: dir },
  );
  const { packages } = JSON.parse(stdout) as { packages: { name: string; version: string }[] };
  return Object.fromEntries(packages.map((p) => [p.name, p.version]));
}
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function projectIn(tree: Record<string, string>) {
  const dir = scratchDir("patch");
  cleanups.push(dir.remove);
  writeTree(dir.path, tree);
  return { dir: dir.path, files: await readProject(dir.path) };
}

/** The lines that differ between two texts of the same length in lines. */
function changedLines(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) =>
    line === b[i] ? [] : [[line, b[i] as string] as [string, string]],
  );
}

describe("patchVersion", () => {
  test("changes only the package version line and the package's own lock entry", async () => {
    const { files } = await projectIn(SINGLE_PACKAGE);
    const patched = await patchedFiles(files, readManifest(files), parseTag("v1.2.3-rc.1"));
    expect(Object.keys(patched).sort()).toEqual(["Cargo.lock", "Cargo.toml"]);
    expect(changedLines(files.cargoToml, patched["Cargo.toml"] as string)).toEqual([
      ['version = "0.1.0" # replaced by the tag', 'version = "1.2.3-rc.1" # replaced by the tag'],
    ]);
    // The registry package "other" also has version 0.1.0 and must keep it.
    expect(changedLines(files.cargoLock as string, patched["Cargo.lock"] as string)).toEqual([
      ['version = "0.1.0"', 'version = "1.2.3-rc.1"'],
    ]);
    expect(patched["Cargo.lock"]).toContain('name = "other"\nversion = "0.1.0"');
  });

  test("keeps CRLF line endings and single-quoted strings", async () => {
    const crlf = SINGLE_PACKAGE["Cargo.toml"]
      .replace('version = "0.1.0"', "version = '0.1.0'")
      .replaceAll("\n", "\r\n");
    const { files } = await projectIn({
      ...SINGLE_PACKAGE,
      "Cargo.toml": crlf,
      "Cargo.lock": SINGLE_PACKAGE["Cargo.lock"].replaceAll("\n", "\r\n"),
    });
    const patched = await patchedFiles(files, readManifest(files), parseTag("v2.0.0"));
    expect(patched["Cargo.toml"]).toBe(
      crlf.replace(
        "version = '0.1.0' # replaced by the tag\r",
        "version = '2.0.0' # replaced by the tag\r",
      ),
    );
    expect(patched["Cargo.lock"]?.split("\r\n").length).toBe(files.cargoLock?.split("\r\n").length);
  });

  test("a [dependencies] version or a [dev-dependencies.x] version is never touched", async () => {
    const { files } = await projectIn(SINGLE_PACKAGE);
    const patched = await patchedFiles(files, readManifest(files), parseTag("v3.0.0"));
    expect(patched["Cargo.toml"]).toContain('[dev-dependencies.version-sync]\nversion = "0.9"');
    expect(patched["Cargo.toml"]).toContain('pyo3 = { version = "0.23", optional = true }');
  });

  test("a workspace gets [workspace.package] and every inheriting member's lock entry", async () => {
    const { files } = await projectIn(WORKSPACE);
    const patched = await patchedFiles(files, readManifest(files), parseTag("v0.4.0"));
    expect(Object.keys(patched).sort()).toEqual(["Cargo.lock", "Cargo.toml"]);
    expect(changedLines(files.cargoToml, patched["Cargo.toml"] as string)).toEqual([
      ['version = "0.3.0"', 'version = "0.4.0"'],
    ]);
    expect(patched["Cargo.lock"]).toContain('name = "ws-cli"\nversion = "0.4.0"');
    expect(patched["Cargo.lock"]).toContain('name = "ws-core"\nversion = "0.4.0"');
    expect(patched["Cargo.lock"]).toContain('name = "ws-tool"\nversion = "9.9.9"');
  });

  test("a static pyproject.toml version gets the PEP 440 spelling; a tool's version line does not", async () => {
    const pyproject =
      '[tool.bumpversion]\nversion = "0.1.0"\n\n' +
      '[project]\nname = "codex-usage"\nversion = "0.1.0"  # the tag replaces it\n\n' +
      '[build-system]\nbuild-backend = "maturin"\n';
    const { files } = await projectIn({ ...SINGLE_PACKAGE, "pyproject.toml": pyproject });
    const patched = await patchedFiles(files, readManifest(files), parseTag("v1.0.0-rc.2"));
    expect(Object.keys(patched).sort()).toEqual(["Cargo.lock", "Cargo.toml", "pyproject.toml"]);
    expect(changedLines(pyproject, patched["pyproject.toml"] as string)).toEqual([
      ['version = "0.1.0"  # the tag replaces it', 'version = "1.0.0rc2"  # the tag replaces it'],
    ]);
  });

  test("a dynamic pyproject.toml version is left to maturin: the file is not rewritten", async () => {
    const { files } = await projectIn(SINGLE_PACKAGE);
    expect(
      Object.keys(await patchedFiles(files, readManifest(files), parseTag("v1.0.0"))).sort(),
    ).toEqual(["Cargo.lock", "Cargo.toml"]);
  });

  test("a version that is not on its own line in [package] is refused, not guessed", async () => {
    const { files } = await projectIn(SINGLE_PACKAGE);
    const manifest = readManifest(files);
    // Only [package.metadata] has a version line now: the patch must not take it for [package].
    const cargoToml = files.cargoToml
      .replace('version = "0.1.0" # replaced by the tag\n', "")
      .concat('\n[package.metadata]\nversion = "0.1.0"\n');
    await expect(
      patchVersion({ ...files, cargoToml }, manifest, parseTag("v1.0.0")),
    ).rejects.toThrow('could not find a `version = "..."` line in [package] of Cargo.toml');
  });
});

describe("patched sources are accepted by real cargo with --locked", () => {
  test("the sample crate: the seed's Cargo.toml-only patch fails, ours passes", async () => {
    const dir = scratchDir("patch-example");
    cleanups.push(dir.remove);
    copyExample(dir.path);
    const files = await readProject(dir.path);
    const patched = await patchedFiles(files, readManifest(files), parseTag("v0.1.5-rc.1"));

    // What the seed did: sed on Cargo.toml only.
    writeFileSync(join(dir.path, "Cargo.toml"), patched["Cargo.toml"] as string);
    await expect(
      run("cargo", ["metadata", "--locked", "--format-version", "1"], { cwd: dir.path }),
    ).rejects.toThrow(/--locked/);

    writeFileSync(join(dir.path, "Cargo.lock"), patched["Cargo.lock"] as string);
    const { stdout } = await run("cargo", ["metadata", "--locked", "--format-version", "1"], {
      cwd: dir.path,
    });
    const metadata = JSON.parse(stdout) as { packages: { name: string; version: string }[] };
    expect(metadata.packages.find((p) => p.name === "sample-usage")?.version).toBe("0.1.5-rc.1");
  });

  test.each([
    ["bin-bindings (py-spy's shape)", "binBindings", null, { tracewatch: "0.5.0-rc.1" }],
    [
      "manifest-path (uv's shape): the workspace version",
      "manifestPath",
      null,
      { lintkit: "0.5.0-rc.1", "lintkit-core": "0.5.0-rc.1", "lintkit-server": "0.0.1" },
    ],
    [
      "a pure Rust workspace, --cargo-package alpha: its own version",
      "pureRustWorkspace",
      "alpha",
      { alpha: "0.5.0-rc.1", beta: "1.2.0", shared: "1.2.0" },
    ],
    [
      "a pure Rust workspace, --cargo-package beta: the workspace version",
      "pureRustWorkspace",
      "beta",
      { alpha: "0.9.0", beta: "0.5.0-rc.1", shared: "0.5.0-rc.1" },
    ],
  ] as const)("%s", async (_case, layout, cargoPackage, versions) => {
    const copy = layoutCopy(layout);
    cleanups.push(copy.remove);
    const files = await readProject(copy.path);
    writeTree(
      copy.path,
      await patchedFiles(files, readManifest(files, { cargoPackage }), parseTag("v0.5.0-rc.1")),
    );
    expect(await lockedVersions(copy.path)).toEqual(versions);
  });

  test("manifest-path with a version of the crate's own", async () => {
    const copy = layoutCopy("manifestPath");
    cleanups.push(copy.remove);
    const member = join(copy.path, "crates", "lintkit", "Cargo.toml");
    writeFileSync(
      member,
      readFileSync(member, "utf8").replace("version.workspace = true", 'version = "0.4.0"'),
    );
    const files = await readProject(copy.path);
    const patched = await patchedFiles(files, readManifest(files), parseTag("v0.5.0"));
    expect(Object.keys(patched).sort()).toEqual(["Cargo.lock", "crates/lintkit/Cargo.toml"]);
    writeTree(copy.path, patched);
    expect(await lockedVersions(copy.path)).toMatchObject({
      lintkit: "0.5.0",
      "lintkit-core": "0.4.0",
    });
  });

  test("a workspace with inherited versions, locked by cargo itself", async () => {
    const dir = scratchDir("patch-workspace");
    cleanups.push(dir.remove);
    const { "Cargo.lock": _handwritten, ...tree } = WORKSPACE;
    writeTree(dir.path, tree);
    await run("cargo", ["generate-lockfile", "--offline"], { cwd: dir.path });
    const files = await readProject(dir.path);
    const patched = await patchedFiles(files, readManifest(files), parseTag("v0.4.0-beta.2"));
    writeTree(dir.path, patched);
    const { stdout } = await run(
      "cargo",
      ["metadata", "--locked", "--offline", "--format-version", "1"],
      { cwd: dir.path },
    );
    const versions = Object.fromEntries(
      (JSON.parse(stdout) as { packages: { name: string; version: string }[] }).packages.map(
        (p) => [p.name, p.version],
      ),
    );
    expect(versions).toEqual({
      "ws-cli": "0.4.0-beta.2",
      "ws-core": "0.4.0-beta.2",
      "ws-tool": "9.9.9",
    });
  });
});
