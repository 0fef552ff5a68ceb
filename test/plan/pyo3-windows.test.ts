import { describe, expect, test } from "vitest";
import { PlanError } from "../../src/plan/errors.js";
import { pyo3Facts, windowsWheelFeatures } from "../../src/plan/pyo3-windows.js";
import { parseToml } from "../../src/plan/toml.js";
import { run } from "../example/tools.js";
import { planFor, projectFiles } from "../support/plan.js";
import { readProject, scratchDir, writeTree } from "../support/projects.js";
import { SINGLE_PACKAGE } from "./fixtures.js";

function lock(packages: [string, string][]): string {
  return packages
    .map(
      ([name, version]) =>
        `[[package]]\nname = "${name}"\nversion = "${version}"\n` +
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
    )
    .join("\n");
}

const CODEX_USAGE = `[package]
name = "codex-usage"
version = "0.1.0"

[dependencies]
pyo3 = { version = "0.20", optional = true }

[features]
pyo3 = ["dep:pyo3", "pyo3/extension-module", "pyo3/abi3-py38"]
`;

function facts(cargoToml: string, locked: [string, string][], features = ["pyo3"]) {
  return pyo3Facts(parseToml("Cargo.toml", cargoToml), "Cargo.toml", lock(locked), features);
}

/** The default release's Windows target, as the plan passes it. */
const X64 = [{ triple: "x86_64-pc-windows-msvc", chosenBy: "the default targets" }];

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return (error as Error).message;
  }
  throw new Error("expected a PlanError");
}

describe("the Windows wheel and pyo3's import library", () => {
  test("codex-usage's pyo3 0.20 without generate-import-lib stops the plan with the line to add", () => {
    const message = refusal(() =>
      windowsWheelFeatures(facts(CODEX_USAGE, [["pyo3", "0.20.3"]]), X64),
    );
    expect(message).toContain(
      "pyo3 0.20.3 (Cargo.lock) links the Windows (x86_64-pc-windows-msvc)",
    );
    expect(message).toContain(
      '  pyo3 = ["dep:pyo3", "pyo3/extension-module", "pyo3/abi3-py38", "pyo3/generate-import-lib"]   # in [features]\n',
    );
    expect(message).toContain("commit Cargo.lock (it gains python3-dll-a)");
    expect(message).toContain("(or leave Windows out of the targets: the default targets).");
  });

  test("without a Windows target, nothing is asked of pyo3", () => {
    expect(windowsWheelFeatures(facts(CODEX_USAGE, [["pyo3", "0.20.3"]]), [])).toEqual([]);
  });

  test("Windows on Arm needs the import library as x86_64 does, and the error names both", () => {
    const both = [
      ...X64,
      {
        triple: "aarch64-pc-windows-msvc",
        chosenBy: "Cargo.toml line 9: [package.metadata.rust-release] targets",
      },
    ];
    const message = refusal(() =>
      windowsWheelFeatures(facts(CODEX_USAGE, [["pyo3", "0.20.3"]]), both),
    );
    expect(message).toContain(
      "pyo3 0.20.3 (Cargo.lock) links the Windows (x86_64-pc-windows-msvc, aarch64-pc-windows-msvc)",
    );
    expect(message).toContain(
      "(or leave Windows out of the targets: the default targets; Cargo.toml line 9: " +
        "[package.metadata.rust-release] targets).",
    );
    const locked = facts(CODEX_USAGE, [
      ["pyo3", "0.20.3"],
      ["python3-dll-a", "0.2.15"],
    ]);
    expect(windowsWheelFeatures(locked, both)).toEqual(["pyo3/generate-import-lib"]);
  });

  test("with python3-dll-a locked, the Windows wheel is built with the feature", () => {
    expect(
      windowsWheelFeatures(
        facts(CODEX_USAGE, [
          ["pyo3", "0.20.3"],
          ["python3-dll-a", "0.2.15"],
        ]),
        X64,
      ),
    ).toEqual(["pyo3/generate-import-lib"]);
  });

  test("pyo3 0.29 links with raw-dylib: nothing to add", () => {
    expect(windowsWheelFeatures(facts(CODEX_USAGE, [["pyo3", "0.29.3"]]), X64)).toEqual([]);
    expect(windowsWheelFeatures(null, X64)).toEqual([]);
  });

  test("a pyo3 dependency with its own features gets the line in [dependencies]", () => {
    const cargoToml = `[package]\nname = "x"\nversion = "0.1.0"\n\n[dependencies]\npyo3 = { version = "0.21", features = ["extension-module", "abi3-py39"] }\n`;
    expect(
      refusal(() => windowsWheelFeatures(facts(cargoToml, [["pyo3", "0.21.2"]], []), X64)),
    ).toContain(
      '  pyo3 = { version = "0.21", features = ["extension-module", "abi3-py39", "generate-import-lib"] }   # in [dependencies]\n',
    );
  });

  test("a pyo3 older than the feature is told to upgrade", () => {
    expect(
      refusal(() => windowsWheelFeatures(facts(CODEX_USAGE, [["pyo3", "0.15.2"]]), X64)),
    ).toContain("that feature needs pyo3 0.17.0 or later: upgrade pyo3");
  });

  test("the release plan catches it before anything is built", () => {
    const files = projectFiles({
      cargoToml: SINGLE_PACKAGE["Cargo.toml"].replace(', "pyo3/generate-import-lib"', ""),
      cargoLock: SINGLE_PACKAGE["Cargo.lock"].replace(
        /\[\[package\]\]\nname = "python3-dll-a"[^[]*/,
        "",
      ),
      pyprojectToml: SINGLE_PACKAGE["pyproject.toml"],
    });
    expect(refusal(() => planFor({ files, tag: "v0.1.5" }))).toContain(
      "pyo3 0.23.5 (Cargo.lock) links the Windows",
    );
    const fixed = planFor({
      files: {
        ...files,
        cargoToml: SINGLE_PACKAGE["Cargo.toml"],
        cargoLock: SINGLE_PACKAGE["Cargo.lock"],
      },
      tag: "v0.1.5",
    });
    expect(fixed.python?.windowsFeatures).toEqual(["pyo3/generate-import-lib"]);
    // A release without Windows does not need the feature.
    const linuxOnly = planFor({ files, tag: "v0.1.5", targets: ["x86_64-unknown-linux-gnu"] });
    expect(linuxOnly.python?.windowsFeatures).toEqual([]);
  });
});

describe("the line the plan asks for, applied with real cargo", () => {
  test("codex-usage's shape: refused, then the suggested line and `cargo update` make it pass", async () => {
    const dir = scratchDir("pyo3-import-lib");
    try {
      const pyproject =
        '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n\n' +
        '[project]\nname = "codex-usage"\ndynamic = ["version"]\n\n[tool.maturin]\nfeatures = ["pyo3"]\n';
      writeTree(dir.path, {
        "Cargo.toml": `${CODEX_USAGE}\n[lib]\ncrate-type = ["cdylib", "rlib"]\n`,
        "src/lib.rs": "",
        "src/main.rs": "fn main() {}\n",
        "pyproject.toml": pyproject,
      });
      await run("cargo", ["generate-lockfile"], { cwd: dir.path });
      const before = await readProject(dir.path);
      const message = refusal(() => planFor({ files: before, tag: "v0.1.5" }));
      const line = /\n {2}(.+) {3}# in \[features\]\n/.exec(message)?.[1];
      expect(line).toBeDefined();

      const cargoToml = before.cargoToml.replace(/^pyo3 = \[.*\]$/m, line as string);
      writeTree(dir.path, { "Cargo.toml": cargoToml });
      await run("cargo", ["update", "--workspace"], { cwd: dir.path });
      const after = await readProject(dir.path);
      expect(after.cargoLock).toContain('name = "python3-dll-a"');
      const plan = planFor({ files: after, tag: "v0.1.5" });
      expect(plan.python?.windowsFeatures).toEqual(["pyo3/generate-import-lib"]);
    } finally {
      dir.remove();
    }
  });
});
