import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkDistCommand } from "../../src/commands/check-dist.js";
import { maturinBuildCommand } from "../../src/commands/maturin.js";
import { readManifest } from "../../src/plan/manifest.js";
import { wheelName } from "../../src/plan/names.js";
import { TARGETS, type Target } from "../../src/plan/targets.js";
import { run } from "../example/tools.js";
import { readProject, scratchDir } from "../support/projects.js";
import { cargoEnv, EXAMPLE_DIR, runArgv } from "./sample-binaries.js";

// Three cold builds (pyo3 for each target) took 40 s on 2 cores; the rest is headroom.
const CROSS_WHEELS_TIMEOUT_MS = 300_000;

// The host target is built by python-dist.test.ts; Windows needs the MSVC CRT, not here.
const CROSS_ZIG_TARGETS = TARGETS.filter(
  (target) => target.toolchain === "zig" && target.triple !== "x86_64-unknown-linux-gnu",
);

// How `file` (an independent reader) describes each target's extension module.
const FILE_SAYS: Record<string, RegExp> = {
  "aarch64-unknown-linux-gnu": /^ELF 64-bit LSB shared object, ARM aarch64,/,
  "x86_64-apple-darwin": /^Mach-O 64-bit x86_64 dynamically linked shared library/,
  "aarch64-apple-darwin": /^Mach-O 64-bit arm64 dynamically linked shared library/,
};

const EXTRACT_MODULE = `
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    [module] = [name for name in wheel.namelist() if name.endswith(".abi3.so")]
    with open(sys.argv[2], "wb") as out:
        out.write(wheel.read(module))
`;

const scratch = scratchDir("python-cross-wheels");

describe("maturinBuildCommand for the other zig targets, run by real maturin with zig", () => {
  const wheels = new Map<string, string>();
  let distName = "";
  let version = "";
  let abi3 = "";

  beforeAll(async () => {
    const manifest = readManifest(await readProject(EXAMPLE_DIR));
    if (!manifest.python?.abi3) throw new Error("the sample crate should build abi3 wheels");
    distName = manifest.python.distName;
    abi3 = manifest.python.abi3;
    version = manifest.version;
    // One after another: cargo locks the shared target dir anyway, and there are 2 cores.
    for (const target of CROSS_ZIG_TARGETS) {
      const out = join(scratch.path, target.triple);
      // As the stage's toolchain container sets it.
      const env = target.macosDeploymentTarget
        ? { ...cargoEnv, MACOSX_DEPLOYMENT_TARGET: target.macosDeploymentTarget }
        : cargoEnv;
      await runArgv(maturinBuildCommand(target, out), { cwd: EXAMPLE_DIR, env });
      const [wheel, ...others] = await readdir(out);
      if (wheel === undefined || others.length > 0) {
        throw new Error(`${target.triple}: expected one wheel, got ${[wheel, ...others]}`);
      }
      wheels.set(target.triple, join(out, wheel));
    }
  }, CROSS_WHEELS_TIMEOUT_MS);

  afterAll(() => scratch.remove());

  function builtWheel(target: Target): string {
    const wheel = wheels.get(target.triple);
    if (wheel === undefined) throw new Error(`no wheel was built for ${target.triple}`);
    return wheel;
  }

  describe.each(CROSS_ZIG_TARGETS.map((target) => [target.triple, target] as const))(
    "%s",
    (_, target) => {
      test("the wheel is named as wheelName() predicts", () => {
        expect(basename(builtWheel(target))).toBe(wheelName(distName, version, abi3, target));
      });

      test("checkDistCommand passes it", async () => {
        const wheel = builtWheel(target);
        const spec = {
          version,
          project: "sample-usage",
          wheels: [{ path: wheel, platformTag: target.wheelPlatformTag, abi3 }],
          sdist: null,
        };
        const { stdout } = await runArgv(checkDistCommand(spec));
        expect(stdout).toMatch(/^ok sample_usage-\S+\.whl: sample-usage /);
      });

      test("its extension module is built for the target", async () => {
        const module = join(scratch.path, `${target.triple}.so`);
        await run("python3", ["-c", EXTRACT_MODULE, builtWheel(target), module]);
        const described = await run("file", ["--brief", module]);
        expect(described.stdout).toMatch(FILE_SAYS[target.triple] ?? /no expectation/);
      });
    },
  );
});
