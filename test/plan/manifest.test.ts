import { afterEach, describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { readManifest } from "../../lib/plan/manifest.js";
import { readProject, scratchDir, writeTree } from "../support/projects.js";
import { SINGLE_PACKAGE, WORKSPACE } from "./fixtures.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function project(tree: Record<string, string | null>) {
  const dir = scratchDir("manifest");
  cleanups.push(dir.remove);
  writeTree(
    dir.path,
    Object.fromEntries(Object.entries(tree).filter((e): e is [string, string] => e[1] !== null)),
  );
  return readProject(dir.path);
}

async function manifestError(tree: Record<string, string | null>): Promise<string> {
  try {
    readManifest(await project(tree));
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return (error as Error).message;
  }
  throw new Error("expected readManifest to fail");
}

describe("readManifest", () => {
  test("a single package shaped like codex-usage", async () => {
    const manifest = readManifest(await project(SINGLE_PACKAGE));
    expect(manifest).toEqual({
      packageName: "codex-usage",
      packageDir: "",
      version: "0.1.0",
      versionSource: "package",
      versionedPackages: ["codex-usage"],
      bins: ["codex-usage"],
      primaryBin: "codex-usage",
      libName: "codex_usage_core",
      crateTypes: ["cdylib", "rlib"],
      rustVersion: "1.80",
      description: null,
      license: null,
      repositoryUrl: null,
      releaseMetadata: { targets: null },
      python: {
        name: "Codex.Usage",
        distName: "codex_usage",
        staticVersion: null,
        bindings: "pyo3",
        features: ["pyo3"],
        moduleName: "codex_usage._native",
        pythonSource: null,
        pythonPackage: null,
        scripts: ["codex-usage"],
        abi3: "cp38",
        pyo3: { version: "0.23.5", importLibLocked: true, manifestFile: "Cargo.toml" },
      },
      toolchain: null,
      docs: [],
    });
  });

  test("binaries are discovered like cargo does: src/main.rs and src/bin", async () => {
    const cargoToml = SINGLE_PACKAGE["Cargo.toml"].replace(
      '[[bin]]\nname = "codex-usage"\npath = "src/main.rs"\n',
      "",
    );
    const manifest = readManifest(
      await project({
        ...SINGLE_PACKAGE,
        "Cargo.toml": cargoToml,
        "src/bin/helper.rs": "fn main() {}",
        "src/bin/multi/main.rs": "fn main() {}",
      }),
    );
    expect(manifest.bins).toEqual(["codex-usage", "helper", "multi"]);
  });

  test("a [[bin]] building src/main.rs under another name is not also the package's binary", async () => {
    const cargoToml = SINGLE_PACKAGE["Cargo.toml"].replace(
      '[[bin]]\nname = "codex-usage"',
      '[[bin]]\nname = "cxu"',
    );
    const manifest = readManifest(await project({ ...SINGLE_PACKAGE, "Cargo.toml": cargoToml }));
    expect(manifest.bins).toEqual(["cxu"]);
  });

  test("a workspace whose members inherit [workspace.package] version", async () => {
    const manifest = readManifest(await project(WORKSPACE));
    expect(manifest).toMatchObject({
      packageName: "ws-cli",
      packageDir: "crates/cli",
      version: "0.3.0",
      versionSource: "workspace",
      versionedPackages: ["ws-cli", "ws-core"],
      bins: ["ws-cli"],
      rustVersion: "1.75",
      license: "Apache-2.0",
      description: "The workspace's CLI",
      repositoryUrl: null,
      python: null,
    });
  });

  test("rust-toolchain.toml and the legacy rust-toolchain file give the channel", async () => {
    const toml = await project({
      ...SINGLE_PACKAGE,
      "rust-toolchain.toml": '[toolchain]\nchannel = "1.82.0"\ncomponents = ["clippy"]\n',
    });
    expect(readManifest(toml).toolchain).toEqual({
      file: "rust-toolchain.toml",
      channel: "1.82.0",
    });
    const legacy = await project({ ...SINGLE_PACKAGE, "rust-toolchain": "nightly-2025-01-01\n" });
    expect(readManifest(legacy).toolchain).toEqual({
      file: "rust-toolchain",
      channel: "nightly-2025-01-01",
    });
  });

  test("a pyproject.toml that only configures tools is no Python package", async () => {
    const files = await project({
      ...SINGLE_PACKAGE,
      "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
    });
    expect(readManifest(files).python).toBeNull();
  });

  test("a static pyproject version is read, for the release to patch", async () => {
    const pyproject = SINGLE_PACKAGE["pyproject.toml"].replace(
      'dynamic = ["version"]',
      'version = "0.1.0"',
    );
    const files = await project({ ...SINGLE_PACKAGE, "pyproject.toml": pyproject });
    expect(readManifest(files).python?.staticVersion).toBe("0.1.0");
  });

  test.each([
    [
      "no Cargo.lock",
      { "Cargo.lock": null },
      "Cargo.lock is missing: commit it (the release guide requires it, and every build runs with --locked)",
    ],
    [
      "no version anywhere",
      {
        "Cargo.toml": SINGLE_PACKAGE["Cargo.toml"].replace(
          'version = "0.1.0" # replaced by the tag\n',
          "",
        ),
      },
      "Cargo.toml has no version",
    ],
    [
      "version.workspace without a workspace version",
      {
        "Cargo.toml": SINGLE_PACKAGE["Cargo.toml"].replace(
          'version = "0.1.0" # replaced by the tag',
          "version.workspace = true",
        ),
      },
      "uses version.workspace = true but Cargo.toml has no [workspace.package] version",
    ],
    [
      "no binary target",
      {
        "Cargo.toml": SINGLE_PACKAGE["Cargo.toml"].replace(
          '[[bin]]\nname = "codex-usage"\npath = "src/main.rs"\n',
          "",
        ),
        "src/main.rs": null,
      },
      'package "codex-usage" has no binary target',
    ],
    [
      "a lock without the package",
      { "Cargo.lock": 'version = 4\n\n[[package]]\nname = "x"\nversion = "1.0.0"\n' },
      'Cargo.lock has no entry for "codex-usage"',
    ],
    [
      "a stale lock",
      {
        "Cargo.lock": SINGLE_PACKAGE["Cargo.lock"].replace(
          'version = "0.1.0"\ndep',
          'version = "0.0.9"\ndep',
        ),
      },
      "Cargo.lock records codex-usage 0.0.9 but Cargo.toml says 0.1.0",
    ],
    [
      "broken TOML, saying where",
      { "Cargo.toml": "[package\nname=" },
      "Cargo.toml:1:9: not valid TOML: ",
    ],
  ])("refuses %s", async (_case, change, message) => {
    expect(await manifestError({ ...SINGLE_PACKAGE, ...change })).toContain(message);
  });

  test("refuses a virtual workspace with several members with binaries, naming them", async () => {
    const message = await manifestError({
      ...WORKSPACE,
      "crates/tool/src/main.rs": "fn main() {}",
    });
    expect(message).toBe(
      "Cargo.toml is a virtual workspace with several packages that have binaries: ws-cli, " +
        "ws-tool. Choose the one to release with --cargo-package <name>",
    );
  });

  test("a project without Cargo.toml is refused by the loader", async () => {
    await expect(project({ "README.md": "hi" })).rejects.toThrow(
      "the source has no Cargo.toml at its root (it holds README.md): pass the project directory with --source",
    );
  });
});
