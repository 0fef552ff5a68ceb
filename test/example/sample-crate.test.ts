import { mkdtemp, readdir, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./tools.js";

const EXAMPLE_DIR = fileURLToPath(new URL("../../example", import.meta.url));
const VERSION = "0.1.0";
const STEP_TIMEOUT_MS = 300_000;

// One target dir for every step, so pyo3 compiles once per profile, whatever the caller's
// CARGO_TARGET_DIR says.
const cargoEnv: NodeJS.ProcessEnv = {
  ...process.env,
  CARGO_TARGET_DIR: join(EXAMPLE_DIR, "target"),
  CARGO_TERM_COLOR: "never",
};

// The caller's Python settings must not decide which sample_usage gets imported.
const pythonEnv: NodeJS.ProcessEnv = { ...process.env };
for (const name of ["PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"]) {
  delete pythonEnv[name];
}

const USAGE_INPUT = "gpt-5 120 45\n# cached run\no3 10 5\ngpt-5 80 55\n";
const USAGE_REPORT = [
  ["model", "input", "output", "total"],
  ["gpt-5", "200", "100", "300"],
  ["o3", "10", "5", "15"],
  ["total", "210", "105", "315"],
];

function cells(report: string): string[][] {
  return report
    .trimEnd()
    .split("\n")
    .map((line) => line.trim().split(/\s+/));
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function wheelArch(): string {
  return process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch;
}

describe("example/ sample crate", () => {
  let tmp = "";

  beforeAll(async () => {
    // Canonical, so paths Python reports (e.g. under macOS's /private/var) compare equal.
    tmp = await realpath(await mkdtemp(join(tmpdir(), "sample-crate-")));
  });

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  it(
    "passes its unit tests with the committed Cargo.lock",
    async () => {
      const { stdout } = await run("cargo", ["test", "--locked"], {
        cwd: EXAMPLE_DIR,
        env: cargoEnv,
      });
      // Guards against a green run that ran nothing.
      const passed = [...stdout.matchAll(/test result: ok\. (\d+) passed/g)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
      expect(passed, stdout).toBeGreaterThan(0);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "builds one abi3 wheel that installs offline and runs as module and console script",
    async () => {
      const out = join(tmp, "wheels");
      const venv = join(tmp, "venv");
      // The venv does not depend on the wheel, so create it while maturin compiles.
      await Promise.all([
        run("maturin", ["build", "--release", "--locked", "--out", out], {
          cwd: EXAMPLE_DIR,
          env: cargoEnv,
        }),
        run("python3", ["-m", "venv", venv], { env: pythonEnv }),
      ]);

      const wheels = (await readdir(out)).filter((name) => name.endsWith(".whl"));
      expect(wheels).toHaveLength(1);
      const wheel = wheels[0] ?? "";
      // maturin tags a native build with the newest glibc symbol it links against
      // (manylinux_2_34 on glibc >= 2.34), so only that number varies between hosts.
      expect(wheel).toMatch(
        new RegExp(
          `^sample_usage-${escaped(VERSION)}-cp38-abi3-manylinux_2_\\d+_${wheelArch()}\\.whl$`,
        ),
      );

      const bin = join(venv, "bin");
      await run(
        join(bin, "python"),
        ["-m", "pip", "install", "--no-index", "--disable-pip-version-check", join(out, wheel)],
        { env: pythonEnv },
      );

      const imported = await run(
        join(bin, "python"),
        [
          "-c",
          "import sample_usage; print(sample_usage.__version__); print(sample_usage.__file__)",
        ],
        { env: pythonEnv },
      );
      const [version, file] = imported.stdout.trimEnd().split("\n");
      expect(version).toBe(VERSION);
      expect(file?.startsWith(venv), `imported from ${file}`).toBe(true);

      const script = join(bin, "sample-usage");
      const shown = await run(script, ["--version"], { env: pythonEnv });
      expect(shown.stdout).toBe(`sample-usage ${VERSION}\n`);

      // The real subcommand, with Rust reading and writing the Python process's pipes.
      const summed = await run(script, ["sum"], { env: pythonEnv, input: USAGE_INPUT });
      expect(cells(summed.stdout)).toEqual(USAGE_REPORT);

      const failed = run(script, ["no-such-command"], { env: pythonEnv });
      await expect(failed).rejects.toThrow(/exit code 2[\s\S]*unknown command/);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "builds a release binary that reports its version and sums a file",
    async () => {
      await run("cargo", ["build", "--release", "--locked"], {
        cwd: EXAMPLE_DIR,
        env: cargoEnv,
      });
      const binary = join(EXAMPLE_DIR, "target", "release", "sample-usage");

      const shown = await run(binary, ["--version"]);
      expect(shown.stdout).toBe(`sample-usage ${VERSION}\n`);

      const input = join(tmp, "usage.txt");
      await writeFile(input, USAGE_INPUT);
      const summed = await run(binary, ["sum", input]);
      expect(cells(summed.stdout)).toEqual(USAGE_REPORT);
    },
    STEP_TIMEOUT_MS,
  );
});
