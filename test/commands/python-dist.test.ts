import { mkdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, readdir, realpath, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type CheckDistSpec, checkDistCommand } from "../../lib/commands/check-dist.js";
import { maturinBuildCommand, maturinSdistCommand } from "../../lib/commands/maturin.js";
import { smokeTestCommand } from "../../lib/commands/python-smoke.js";
import { twineCheckCommand } from "../../lib/commands/twine.js";
import { readManifest } from "../../lib/plan/manifest.js";
import { sdistName, wheelName } from "../../lib/plan/names.js";
import { patchVersion } from "../../lib/plan/patch.js";
import { type SmokeSubject, smokeSubject } from "../../lib/plan/python-plan.js";
import type { PythonProject } from "../../lib/plan/python-project.js";
import { findTarget } from "../../lib/plan/targets.js";
import { parseTag } from "../../lib/plan/version.js";
import { ModuleUnderTest } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { isCheckDist, isSmokeTest } from "../support/execs.js";
import type { FreshRoot } from "../support/fresh-root.js";
import { copyExample, readProject, scratchDir, writeTree } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";
import { vendorBelow } from "../support/vendored.js";
import { rewriteWheel, writeSyntheticDists } from "./python-dists.js";
import { BUILD_TIMEOUT_MS, cargoEnv, EXAMPLE_DIR, failureOf, runArgv } from "./sample-binaries.js";

// A prerelease, so the Cargo (0.1.5-rc.1) and PEP 440 (0.1.5rc1) spellings differ.
const VERSION = parseTag("v0.1.5-rc.1");
const HOST = findTarget("x86_64-unknown-linux-gnu");

const scratch = scratchDir("python-dist");

/** uv's cache volume: the replayed checks download twine into it. */
function uvCache() {
  const host = join(EXAMPLE_DIR, "target", "replay-caches", "uv");
  mkdirSync(host, { recursive: true });
  return { host, readOnly: false };
}
afterAll(() => scratch.remove());

/** The check's failure, after making sure it failed cleanly: exit code 1 and no traceback. */
async function rejection(spec: CheckDistSpec): Promise<string> {
  const message = await failureOf(runArgv(checkDistCommand(spec)));
  expect(message).toContain("(exit code 1)");
  expect(message).not.toContain("Traceback");
  return message;
}

describe("maturin's wheel and sdist of the sample crate, checked as the pipeline does", () => {
  let root = "";
  let python: PythonProject;
  let abi3 = "";
  let subject: SmokeSubject;
  let wheel = "";
  let sdist = "";

  function wheelSpec(path: string, overrides: Partial<CheckDistSpec> = {}): CheckDistSpec {
    return {
      version: VERSION.pep440,
      project: python.name,
      wheels: [{ path, ...expectedTags(HOST.wheelPlatformTag) }],
      sdist: null,
      ...overrides,
    };
  }

  /** What the sample's abi3 wheel for a platform must carry (no executables: not a bin wheel). */
  function expectedTags(platformTag: string) {
    return { platformTag, pythonTag: abi3, abiTag: "abi3", executables: [] };
  }

  /** A copy of the real wheel under another name, optionally with its members doctored. */
  async function doctored(name: string, rewrite?: Parameters<typeof rewriteWheel>[2]) {
    const path = join(root, "doctored", name);
    await (rewrite ? rewriteWheel(wheel, path, rewrite) : copyFile(wheel, path));
    return path;
  }

  beforeAll(async () => {
    // Canonical, so the smoke test's "imported from the venv" comparison sees one spelling.
    root = await realpath(scratch.path);
    const source = join(root, "source");
    copyExample(source);
    const files = await readProject(source);
    writeTree(source, (await patchVersion(files, readManifest(files), VERSION)).files);
    const patched = await readProject(source);
    const manifest = readManifest(patched);
    if (!manifest.python?.abi3) throw new Error("the sample crate should build abi3 wheels");
    python = manifest.python;
    abi3 = manifest.python.abi3;
    subject = smokeSubject(manifest);

    // The builds are --frozen: they read the dependencies the pipeline vendors first.
    await vendorBelow(root, source);
    // Outside the crate, or the sdist would pack the wheels (see maturinSdistCommand).
    const wheels = join(root, "wheels");
    const sdists = join(root, "sdists");
    await runArgv(maturinBuildCommand(HOST, wheels), { cwd: source, env: cargoEnv });
    await runArgv(maturinSdistCommand(sdists), { cwd: source, env: cargoEnv });
    const [builtWheel, ...moreWheels] = await readdir(wheels);
    const [builtSdist, ...moreSdists] = await readdir(sdists);
    if (!builtWheel || !builtSdist || moreWheels.length + moreSdists.length > 0) {
      throw new Error(`expected one wheel and one sdist, got ${[builtWheel, ...moreWheels]}`);
    }
    wheel = join(wheels, builtWheel);
    sdist = join(sdists, builtSdist);
    await mkdir(join(root, "doctored"));
  }, BUILD_TIMEOUT_MS);

  test("the wheel is named as wheelName() predicts for the Linux x86_64 target", () => {
    expect(basename(wheel)).toBe(
      wheelName(python.distName, VERSION.pep440, { python: abi3, abi: "abi3" }, HOST),
    );
  });

  test("the sdist is named as sdistName() predicts", () => {
    expect(basename(sdist)).toBe(sdistName(python.distName, VERSION.pep440));
  });

  test("a second sdist of the same source is the same bytes", async () => {
    const again = join(root, "sdists-again");
    await runArgv(maturinSdistCommand(again), { cwd: join(root, "source"), env: cargoEnv });
    const [name] = await readdir(again);
    expect(readFileSync(join(again, name as string)).equals(readFileSync(sdist))).toBe(true);
  });

  test("checkDistCommand passes both and prints one line per file", async () => {
    const { stdout } = await runArgv(
      checkDistCommand(wheelSpec(wheel, { sdist: { path: sdist } })),
    );
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^ok sample_usage-0\.1\.5rc1-cp38-abi3-\S+\.whl: sample-usage 0\.1\.5rc1/,
    );
    expect(lines[1]).toBe("ok sample_usage-0.1.5rc1.tar.gz: sample-usage 0.1.5rc1, sdist");
  });

  test("twineCheckCommand passes both", async () => {
    const { stdout } = await runArgv(twineCheckCommand([wheel, sdist]), { timeoutMs: 120_000 });
    expect(stdout.match(/PASSED/g)).toHaveLength(2);
    expect(stdout).not.toContain("with warnings");
  }, 120_000);

  test("twineCheckCommand refuses a README that PyPI would not render", async () => {
    await mkdir(join(root, "doctored", "unrenderable"));
    const unrenderable = await doctored(join("unrenderable", basename(wheel)), {
      replace: {
        [`${python.distName}-${VERSION.pep440}.dist-info/METADATA`]: [
          ["Description-Content-Type: text/markdown", "Description-Content-Type: text/x-rst"],
          ["# sample-usage\n", ".. unknown-directive:: x\n\n"],
        ],
      },
    });
    const message = await failureOf(
      runArgv(twineCheckCommand([unrenderable]), { timeoutMs: 120_000 }),
    );
    expect(message).toContain("FAILED");
    expect(message).toContain('Error: Unknown directive type "unknown-directive"');
  }, 120_000);

  test("twineCheckCommand passes distributions without any README (sqruff's wheel has none)", async () => {
    const bare = join(root, "bare");
    await mkdir(bare);
    const dists = {
      name: "bare-cli",
      dist: "bare_cli",
      version: "1.0.0",
      tag: "py3-none-any",
      wheel: join(bare, "bare_cli-1.0.0-py3-none-any.whl"),
      sdist: join(bare, "bare_cli-1.0.0.tar.gz"),
      payload: "",
    };
    await writeSyntheticDists(dists);
    const { stdout } = await runArgv(twineCheckCommand([dists.wheel]), { timeoutMs: 120_000 });
    expect(stdout).toContain("PASSED with warnings");
  }, 120_000);

  test("a wheel renamed to another platform tag is refused, naming the file", async () => {
    const renamed = await doctored("sample_usage-0.1.5rc1-cp38-abi3-linux_x86_64.whl");
    const message = await rejection(wheelSpec(renamed));
    expect(message).toContain(
      "sample_usage-0.1.5rc1-cp38-abi3-linux_x86_64.whl: platform tag linux_x86_64, " +
        `expected ${HOST.wheelPlatformTag}`,
    );
    // The WHEEL file still lists the real tags, which no longer match the name.
    expect(message).toContain("but the file name says cp38-abi3-linux_x86_64");
  });

  test("a wheel built for another target is refused", async () => {
    const arm = findTarget("aarch64-unknown-linux-gnu");
    const spec = wheelSpec(wheel);
    const [expected] = spec.wheels;
    if (!expected) throw new Error("no wheel in the spec");
    const message = await rejection({
      ...spec,
      wheels: [{ ...expected, platformTag: arm.wheelPlatformTag }],
    });
    expect(message).toMatch(/: platform tag \S+x86_64, expected manylinux\S+aarch64/);
  });

  test("a wheel whose METADATA carries another version is refused", async () => {
    const metadata = "sample_usage-0.1.5rc1.dist-info/METADATA";
    const path = await doctored(basename(wheel), {
      replace: { [metadata]: [["Version: 0.1.5rc1", "Version: 0.1.6"]] },
    });
    const message = await rejection(wheelSpec(path));
    expect(message).toMatch(
      new RegExp(`\\.whl: ${metadata} has Version 0\\.1\\.6, expected 0\\.1\\.5rc1$`, "m"),
    );
  });

  test("a wheel without METADATA is refused without a traceback", async () => {
    const path = await doctored("sample_usage-0.1.5rc1-cp38-abi3-manylinux2014_x86_64.whl", {
      drop: ["sample_usage-0.1.5rc1.dist-info/METADATA"],
    });
    const message = await rejection(wheelSpec(path));
    expect(message).toContain("has 0 *.dist-info/METADATA, expected exactly one");
  });

  test("wrong python and abi tags are refused", async () => {
    const path = await doctored(
      "sample_usage-0.1.5rc1-cp38-cp38-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    );
    const message = await rejection(wheelSpec(path));
    expect(message).toContain("abi tag cp38, expected abi3");
    const newerFloor = await rejection({
      ...wheelSpec(wheel),
      wheels: [{ path: wheel, ...expectedTags(HOST.wheelPlatformTag), pythonTag: "cp39" }],
    });
    expect(newerFloor).toContain("python tag cp38, expected cp39");
  });

  test("a corrupt wheel is refused as unreadable; the good files are still reported", async () => {
    const path = join(root, "doctored", "sample_usage-0.1.5rc1-cp38-abi3-win_amd64.whl");
    await writeFile(path, "not a zip archive");
    const spec = wheelSpec(wheel, { sdist: { path: sdist } });
    const message = await rejection({
      ...spec,
      wheels: [...spec.wheels, { path, ...expectedTags("win_amd64") }],
    });
    expect(message).toContain(
      "sample_usage-0.1.5rc1-cp38-abi3-win_amd64.whl: cannot be read as a zip archive",
    );
    expect(message).toMatch(/^ok sample_usage-0\.1\.5rc1-cp38-abi3-\S+x86_64\.whl:/m);
    expect(message).toMatch(/^ok sample_usage-0\.1\.5rc1\.tar\.gz:/m);
  });

  test("an sdist of another version is refused, naming the file", async () => {
    const message = await rejection({
      ...wheelSpec(wheel),
      version: "0.1.6",
      wheels: [],
      sdist: { path: sdist },
    });
    expect(message).toContain(
      "sample_usage-0.1.5rc1.tar.gz: file name sample_usage-0.1.5rc1.tar.gz, " +
        "expected sample_usage-0.1.6.tar.gz",
    );
    expect(message).toContain("PKG-INFO has Version 0.1.5rc1, expected 0.1.6");
  });

  test("smokeTestCommand installs the wheel offline, imports it, runs its script", async () => {
    expect(subject).toEqual({ importName: "sample_usage", script: "sample-usage" });
    const { stdout } = await runArgv(
      smokeTestCommand({ wheel, ...subject, version: VERSION.cargo }),
    );
    expect(stdout).toContain(`installed ${basename(wheel)}`);
    expect(stdout).toMatch(
      /^imported sample_usage from \/\S+\/venv\/\S+\/sample_usage\/__init__\.py$/m,
    );
    expect(stdout).toContain("sample-usage --version: sample-usage 0.1.5-rc.1");
  });

  test("the smoke test fails when the CLI reports another version", async () => {
    // The wheel's PEP 440 spelling is not what the Rust CLI prints.
    const message = await failureOf(
      runArgv(smokeTestCommand({ wheel, ...subject, version: VERSION.pep440 })),
    );
    expect(message).toContain(
      "smoke test: sample-usage --version printed 'sample-usage 0.1.5-rc.1', " +
        "expected version 0.1.5rc1",
    );
  });

  test("the smoke test fails when the package does not import", async () => {
    const message = await failureOf(
      runArgv(
        smokeTestCommand({
          wheel,
          ...subject,
          importName: "sample_usage_core",
          version: VERSION.cargo,
        }),
      ),
    );
    expect(message).toContain("smoke test: importing sample_usage_core failed (exit code 1)");
    expect(message).toContain("No module named 'sample_usage_core'");
  });

  const MAIN =
    'def main() -> None:\n    """Entry point of the ``sample-usage`` console script."""\n';

  /** The real wheel with a console script that answers --version or --help otherwise. */
  function cliVariant(name: string, guard: string) {
    return doctored(name, {
      replace: { "sample_usage/__init__.py": [[MAIN, `${MAIN}${guard}`]] },
    });
  }

  test("a CLI without --version passes: it installs, imports, and its --help works", async () => {
    // What clap answers for an unknown flag, as the real codex-usage CLI does.
    const variant = await cliVariant(
      basename(wheel),
      '    if "--version" in sys.argv[1:]:\n' +
        "        print(\"error: unexpected argument '--version' found\", file=sys.stderr)\n" +
        "        sys.exit(2)\n",
    );
    const { stdout } = await runArgv(
      smokeTestCommand({ wheel: variant, ...subject, version: VERSION.cargo }),
    );
    expect(stdout).toContain("sample-usage --help: ok");
    expect(stdout).toContain(
      "sample-usage --version: exit code 2, the CLI has no --version, so the version is not checked",
    );
  });

  test("a console script whose --help fails is refused", async () => {
    const variant = await cliVariant(
      basename(wheel),
      '    if "--help" in sys.argv[1:]:\n        sys.exit(3)\n',
    );
    const message = await failureOf(
      runArgv(smokeTestCommand({ wheel: variant, ...subject, version: VERSION.cargo })),
    );
    expect(message).toContain("smoke test: sample-usage --help failed (exit code 3)");
  });
});

describe("the Python checks of `dagger call wheels`, replayed in fresh roots on the real wheel", () => {
  const mod = new ModuleUnderTest();
  const roots: FreshRoot[] = [];
  let execs: ExecRecord[] = [];
  let wheel = "";

  beforeAll(async () => {
    const source = join(await realpath(scratch.path), "replay-source");
    copyExample(source);
    const files = await readProject(source);
    writeTree(source, (await patchVersion(files, readManifest(files), VERSION)).files);
    await vendorBelow(join(source, ".."), source);
    const out = join(scratch.path, "replay-wheels");
    await runArgv(maturinBuildCommand(HOST, out), { cwd: source, env: cargoEnv });
    const [built] = await readdir(out);
    wheel = join(out, built as string);
    await mod.start();
    const outcome = await mod.call(
      "wheels",
      { target: HOST.triple, tag: VERSION.tag },
      {
        answers: {
          entries: ({ path }) =>
            path === `/wheels/${HOST.triple}` ? [basename(wheel)] : undefined,
          file: ({ path }) => (path.endsWith(".whl") ? readFileSync(wheel) : undefined),
        },
      },
    );
    if (outcome.error) throw new Error(outcome.error);
    execs = outcome.model.execs;
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const root of roots) root.remove();
    await mod.stop();
  });

  async function replayed(predicate: (e: ExecRecord) => boolean, mounts = {}) {
    const exec = execs.find(predicate);
    if (!exec) throw new Error("no such step was recorded");
    const result = await replayInFreshRoot(mod.engine, exec, { mounts });
    roots.push(result.root);
    return result.stdout;
  }

  test("the distribution check", async () => {
    const stdout = await replayed(isCheckDist, {
      "/root/.cache/uv": uvCache(),
    });
    expect(stdout).toMatch(
      /^ok sample_usage-0\.1\.5rc1-cp38-abi3-\S+\.whl: sample-usage 0\.1\.5rc1/,
    );
  });

  test("twine check", async () => {
    const stdout = await replayed((e) => e.argv.includes("twine"), {
      "/root/.cache/uv": uvCache(),
    });
    expect(stdout).toContain("PASSED");
  }, 120_000);

  test("the smoke test: a clean install, the import, --help and --version", async () => {
    const stdout = await replayed(isSmokeTest);
    expect(stdout).toContain("sample-usage --help: ok");
    expect(stdout).toContain("sample-usage --version: sample-usage 0.1.5-rc.1");
  });
});
