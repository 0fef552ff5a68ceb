import { describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { PYTHON3_DEF, pyo3Facts, windowsImportLibrary } from "../../lib/plan/pyo3-windows.js";
import { LAYOUTS } from "../support/layouts.js";
import { planFor } from "../support/plan.js";
import { readProject } from "../support/projects.js";
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

const way = (locked: [string, string][]) =>
  windowsImportLibrary(pyo3Facts("crates/ext/Cargo.toml", lock(locked)));

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return (error as Error).message;
  }
  throw new Error("expected a PlanError");
}

describe("how the Windows wheel gets python3.dll's import library", () => {
  test("codex-usage's pyo3 0.20 without generate-import-lib: the release makes it from python3.def", () => {
    const library = way([["pyo3", "0.20.3"]]);
    expect(library.way).toBe("python3.def");
    expect(library.features).toEqual([]);
    expect(library.description).toContain("llvm-dlltool");
    expect(library.description).toContain(PYTHON3_DEF.sha256);
    expect(library.description).toContain("Cargo.toml and Cargo.lock stay as committed");
  });

  test("with python3-dll-a locked, pyo3's own feature makes it, under its name of that version", () => {
    const locked = (pyo3: string) =>
      way([
        ["pyo3", pyo3],
        ["python3-dll-a", "0.2.15"],
      ]);
    expect(locked("0.20.3")).toMatchObject({
      way: "pyo3-feature",
      features: ["pyo3/generate-import-lib"],
    });
    expect(locked("0.16.5").features).toEqual(["pyo3/generate-import-lib"]);
    // 0.16.4 named it generate-abi3-import-lib.
    expect(locked("0.16.4").features).toEqual(["pyo3/generate-abi3-import-lib"]);
  });

  test("pyo3 0.29 links with raw-dylib: nothing is made", () => {
    expect(way([["pyo3", "0.29.3"]])).toMatchObject({ way: "raw-dylib", features: [] });
    expect(windowsImportLibrary(null).way).toBe("raw-dylib");
  });

  test("from 0.16.4, the first pyo3 that needs no interpreter for the target", () => {
    expect(way([["pyo3", "0.16.4"]]).way).toBe("python3.def");
    expect(way([["pyo3", "0.28.3"]]).way).toBe("python3.def");
  });

  test.each(["0.16.3", "0.15.2", "0.14.5"])(
    "pyo3 %s is refused, saying why and naming the manifest",
    (version) => {
      const message = refusal(() => way([["pyo3", version]]));
      expect(message).toContain(
        `pyo3 ${version} (Cargo.lock) cannot build the Windows abi3 extension`,
      );
      expect(message).toContain("needs a Python interpreter for the target");
      expect(message).toContain("Upgrade pyo3 to 0.16.4 or later in crates/ext/Cargo.toml");
    },
  );
});

describe("a refusal names where the Windows targets were chosen", () => {
  test("the default x86_64 and a listed Windows on Arm: both places, as the other fix", () => {
    const message = refusal(() =>
      windowsImportLibrary(pyo3Facts("Cargo.toml", lock([["pyo3", "0.15.2"]])), [
        "the default targets",
        "Cargo.toml line 9: [package.metadata.rust-release] targets",
        "Cargo.toml line 9: [package.metadata.rust-release] targets",
      ]),
    );
    expect(message).toContain(
      "(or leave Windows out of the targets: the default targets; Cargo.toml line 9: " +
        "[package.metadata.rust-release] targets)",
    );
  });
});

describe("the plan says which way", () => {
  const codexUsage = {
    cargoToml: SINGLE_PACKAGE["Cargo.toml"].replace(', "pyo3/generate-import-lib"', ""),
    cargoLock: SINGLE_PACKAGE["Cargo.lock"].replace(
      /\[\[package\]\]\nname = "python3-dll-a"[^[]*/,
      "",
    ),
  };

  test("the seed's shape as committed (pyo3 0.20 abi3, no python3-dll-a): planned without edits", async () => {
    const files = await readProject(LAYOUTS.pyo3Abi3);
    const plan = await planFor({ files, tag: "v0.2.0" });
    expect(plan.python?.windows?.way).toBe("python3.def");
    expect(plan.python?.windows?.description).toContain("pyo3 0.20.3 without python3-dll-a locked");
    expect(plan.versionPatch?.files).toEqual(["Cargo.toml", "Cargo.lock"]);
  });

  test("an old pyo3 is refused only when the plan builds a Windows wheel", async () => {
    const files = await readProject(LAYOUTS.pyo3Abi3);
    const old = {
      ...files,
      cargoLock: (files.cargoLock as string).replace(
        'name = "pyo3"\nversion = "0.20.3"',
        'name = "pyo3"\nversion = "0.15.2"',
      ),
    };
    await expect(planFor({ files: old, tag: "v0.2.0" })).rejects.toThrow(
      "pyo3 0.15.2 (Cargo.lock) cannot build the Windows abi3 extension",
    );
    const linux = await planFor({ files: old, tag: "v0.2.0", target: "x86_64-unknown-linux-gnu" });
    expect(linux.python?.windows).toBeNull();
    // Nor when the release's targets leave Windows out.
    const chosen = await planFor({
      files: old,
      tag: "v0.2.0",
      targets: ["x86_64-unknown-linux-gnu"],
    });
    expect(chosen.python?.windows).toBeNull();
  });

  test("the single-package fixture with the feature locked keeps using it", async () => {
    const files = await readProject(LAYOUTS.pyo3Abi3);
    const withFeature = await planFor({
      files: {
        ...files,
        cargoToml: SINGLE_PACKAGE["Cargo.toml"],
        cargoLock: SINGLE_PACKAGE["Cargo.lock"],
        sourceFiles: ["src/main.rs"],
        pyproject: {
          file: "pyproject.toml",
          text: SINGLE_PACKAGE["pyproject.toml"],
          origin: "root",
        },
        pythonPackages: [],
      },
      tag: "v0.1.5",
    });
    expect(withFeature.python?.windows?.features).toEqual(["pyo3/generate-import-lib"]);
    const without = await planFor({
      files: {
        ...files,
        ...codexUsage,
        sourceFiles: ["src/main.rs"],
        pyproject: {
          file: "pyproject.toml",
          text: SINGLE_PACKAGE["pyproject.toml"],
          origin: "root",
        },
        pythonPackages: [],
      },
      tag: "v0.1.5",
    });
    expect(without.python?.windows?.way).toBe("python3.def");
  });
});
