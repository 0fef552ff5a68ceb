import { beforeAll, describe, expect, test } from "vitest";
import { checkDistCommand } from "../../lib/commands/check-dist.js";
import { maturinBuildCommand, maturinSdistCommand } from "../../lib/commands/maturin.js";
import { smokeTestCommand } from "../../lib/commands/python-smoke.js";
import { twineCheckCommand } from "../../lib/commands/twine.js";
import { PUBLISH_TOKEN_VARIABLE, uvPublishCommand } from "../../lib/commands/uv-publish.js";
import { type ProjectManifest, readManifest } from "../../lib/plan/manifest.js";
import { smokeSubject } from "../../lib/plan/python-plan.js";
import { findTarget, TARGETS } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import { EXAMPLE_DIR, readProject } from "../support/projects.js";

/** The long options a `--help` text documents, e.g. `-o, --out <OUT>` gives `--out`. */
async function documentedFlags(argv: string[]): Promise<Set<string>> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("empty argv");
  const { stdout } = await run(cmd, [...args, "--help"]);
  return new Set([...stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1] ?? ""));
}

function flagsOf(argv: readonly string[]): string[] {
  return argv.filter((arg) => arg.startsWith("--"));
}

describe("maturinBuildCommand", () => {
  test.each([
    ["x86_64-unknown-linux-gnu", ["--zig", "--compatibility", "manylinux2014"]],
    ["aarch64-unknown-linux-gnu", ["--zig", "--compatibility", "manylinux2014"]],
    // The platform tag of macOS wheels comes from MACOSX_DEPLOYMENT_TARGET, not a flag.
    ["x86_64-apple-darwin", ["--zig"]],
    ["aarch64-apple-darwin", ["--zig"]],
    // maturin picks cargo-xwin by itself for msvc on Linux; zig cannot link against the MSVC CRT.
    ["x86_64-pc-windows-msvc", []],
    ["aarch64-pc-windows-msvc", []],
    // musllinux wheels, and ppc64le at the glibc floor zig can give it.
    ["x86_64-unknown-linux-musl", ["--zig", "--compatibility", "musllinux_1_2"]],
    ["aarch64-unknown-linux-musl", ["--zig", "--compatibility", "musllinux_1_2"]],
    ["armv7-unknown-linux-gnueabihf", ["--zig", "--compatibility", "manylinux2014"]],
    ["i686-unknown-linux-gnu", ["--zig", "--compatibility", "manylinux2014"]],
    ["powerpc64le-unknown-linux-gnu", ["--zig", "--compatibility", "manylinux_2_34"]],
    ["s390x-unknown-linux-gnu", ["--zig", "--compatibility", "manylinux2014"]],
  ])("%s", (triple, toolchainArgs) => {
    expect(maturinBuildCommand(findTarget(triple), "/dist/wheels")).toEqual([
      "maturin",
      "build",
      "--release",
      "--frozen",
      "--target",
      triple,
      "--out",
      "/dist/wheels",
      ...toolchainArgs,
    ]);
  });

  test("extra features (pyo3's import library for Windows) are added with --features", () => {
    expect(
      maturinBuildCommand(findTarget("x86_64-pc-windows-msvc"), "/w", [
        "pyo3/generate-import-lib",
      ]).slice(-2),
    ).toEqual(["--features", "pyo3/generate-import-lib"]);
  });

  test("every flag it emits is one maturin 1.16's `build --help` documents", async () => {
    const documented = await documentedFlags(["maturin", "build"]);
    const emitted = new Set(TARGETS.flatMap((t) => flagsOf(maturinBuildCommand(t, "/out"))));
    expect([...emitted].filter((flag) => !documented.has(flag))).toEqual([]);
    expect(emitted.size).toBeGreaterThan(4);
  });
});

test("maturinSdistCommand writes to --out, a flag `maturin sdist --help` documents", async () => {
  const argv = maturinSdistCommand("/dist/sdist");
  expect(argv).toEqual(["maturin", "sdist", "--out", "/dist/sdist"]);
  const documented = await documentedFlags(["maturin", "sdist"]);
  expect(flagsOf(argv).filter((flag) => !documented.has(flag))).toEqual([]);
});

describe("twineCheckCommand", () => {
  test("runs pinned twine through uv on every file (not --strict: a missing README passes)", () => {
    expect(twineCheckCommand(["/dist/a.whl", "/dist/a.tar.gz"])).toEqual([
      "uv",
      "tool",
      "run",
      "--from",
      "twine==7.0.0",
      "twine",
      "check",
      "/dist/a.whl",
      "/dist/a.tar.gz",
    ]);
  });

  test("refuses to check nothing", () => {
    expect(() => twineCheckCommand([])).toThrow("no distributions to check");
  });

  test("`uv tool run --help` documents --from", async () => {
    expect(await documentedFlags(["uv", "tool", "run"])).toContain("--from");
  });
});

describe("uvPublishCommand", () => {
  const spec = {
    publishUrl: "https://test.pypi.org/legacy/",
    checkUrl: "https://test.pypi.org/simple/",
    files: ["/dist/a.whl", "/dist/a.tar.gz"],
  };

  test("names the endpoints and files, and never a credential", () => {
    expect(uvPublishCommand(spec)).toEqual([
      "uv",
      "publish",
      "--publish-url",
      "https://test.pypi.org/legacy/",
      "--check-url",
      "https://test.pypi.org/simple/",
      "--trusted-publishing",
      "never",
      "/dist/a.whl",
      "/dist/a.tar.gz",
    ]);
  });

  test("refuses what uv would misread", () => {
    expect(() => uvPublishCommand({ ...spec, files: [] })).toThrow("no files to upload");
    expect(() => uvPublishCommand({ ...spec, publishUrl: "test.pypi.org/legacy/" })).toThrow(
      'the publish URL must be an http(s) URL, got "test.pypi.org/legacy/"',
    );
    expect(() => uvPublishCommand({ ...spec, checkUrl: "file:///simple/" })).toThrow(
      "the check URL must be an http(s) URL",
    );
  });

  test("`uv publish --help` documents every flag, `never`, and the token variable", async () => {
    const { stdout } = await run("uv", ["publish", "--help"]);
    const documented = await documentedFlags(["uv", "publish"]);
    expect(flagsOf(uvPublishCommand(spec)).filter((flag) => !documented.has(flag))).toEqual([]);
    expect(stdout).toMatch(/--trusted-publishing <\w+>\n.*\[possible values: [^\]]*\bnever\b/);
    expect(stdout).toMatch(new RegExp(`--token <TOKEN>\\n.*\\[env: ${PUBLISH_TOKEN_VARIABLE}\\]`));
  });
});

describe("checkDistCommand and smokeTestCommand refuse specs that cannot be checked", () => {
  test("check-dist needs files, a version and a project, each file once", () => {
    const spec = { version: "0.1.5", project: "sample-usage", wheels: [], sdist: null };
    expect(() => checkDistCommand(spec)).toThrow("no wheels and no sdist");
    expect(() => checkDistCommand({ ...spec, version: "", sdist: { path: "/a.tar.gz" } })).toThrow(
      "needs the release version",
    );
    const wheel = {
      path: "/a.whl",
      platformTag: "win_amd64",
      pythonTag: "cp38",
      abiTag: "abi3",
      executables: [],
    };
    expect(() => checkDistCommand({ ...spec, wheels: [wheel, wheel] })).toThrow(
      "/a.whl is listed twice",
    );
  });

  test("the smoke test needs an import name and a version", () => {
    const spec = { wheel: "/a.whl", importName: "a", script: null, version: "1.0.0" };
    expect(smokeTestCommand(spec).slice(0, 2)).toEqual([
      "python3",
      "/rust-release/python_smoke.py",
    ]);
    expect(() => smokeTestCommand({ ...spec, importName: "" })).toThrow("must be named");
    expect(() => smokeTestCommand({ ...spec, version: "" })).toThrow("must be named");
    expect(() => smokeTestCommand({ ...spec, importName: null })).toThrow(
      "nothing to import and nothing to run",
    );
  });
});

describe("smokeSubject", () => {
  let sample: ProjectManifest;

  beforeAll(async () => {
    sample = readManifest(await readProject(EXAMPLE_DIR));
  });

  function withPython(
    moduleName: string | null,
    libName: string | null,
    scripts: string[],
  ): ProjectManifest {
    if (!sample.python) throw new Error("the sample crate is a Python project");
    return { ...sample, libName, python: { ...sample.python, moduleName, scripts } };
  }

  test("imports the top-level package of module-name and runs the first script", () => {
    expect(
      smokeSubject(withPython("sample_usage._native", "x", ["sample-usage", "other"])),
    ).toEqual({
      importName: "sample_usage",
      script: "sample-usage",
    });
  });

  test("without module-name, maturin names the module after the lib", () => {
    expect(smokeSubject(withPython(null, "sample_usage_core", []))).toEqual({
      importName: "sample_usage_core",
      script: null,
    });
    expect(smokeSubject(withPython(null, null, [])).importName).toBe("sample_usage");
  });

  test("a plain module name is its own top-level package", () => {
    expect(smokeSubject(withPython("fast", "x", ["fast"])).importName).toBe("fast");
  });
});
