import { describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { readManifest } from "../../lib/plan/manifest.js";
import { smokeSubject } from "../../lib/plan/python-plan.js";
import { DEFAULT_TARGETS } from "../../lib/plan/targets.js";
import { LAYOUTS, type Layout, layoutFiles } from "../support/layouts.js";
import { type PlanInput, planFor, pyprojectText, withPyproject } from "../support/plan.js";
import { readProject } from "../support/projects.js";

const TAG = "v0.5.0-rc.1";

async function plan(
  layout: Layout,
  changes: Record<string, string | null> = {},
  input: Partial<PlanInput> = {},
) {
  return await planFor({ files: await layoutFiles(layout, changes), tag: TAG, ...input });
}

async function refusal(
  layout: Layout,
  changes: Record<string, string | null>,
  input: Partial<PlanInput> = {},
): Promise<string> {
  try {
    await plan(layout, changes, input);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return (error as Error).message;
  }
  throw new Error("expected the plan to be refused");
}

const platformTags = DEFAULT_TARGETS.map((t) => t.wheelPlatformTag);

describe("maturin bin bindings, shaped like py-spy", () => {
  test("py3-none wheels of the executable, named after the PyPI project", async () => {
    const planned = await plan("binBindings");
    expect(planned.project).toMatchObject({ packageName: "tracewatch", bins: ["twatch"] });
    expect(planned.python).toEqual({
      pyproject: { file: "pyproject.toml", dir: "", origin: "root" },
      project: "tracewatch-cli",
      distName: "tracewatch_cli",
      version: "0.5.0rc1",
      bindings: "bin",
      wheelTags: { python: "py3", abi: "none" },
      features: [],
      windows: null,
      moduleName: null,
      pythonSource: null,
      executables: ["twatch"],
      smokeTest: { importName: null, script: "twatch" },
      sdist: "tracewatch_cli-0.5.0rc1.tar.gz",
      wheels: platformTags.map((tag) => `tracewatch_cli-0.5.0rc1-py3-none-${tag}.whl`),
    });
    expect(planned.targets.map((t) => [t.archive, t.wheel])).toEqual(
      DEFAULT_TARGETS.map((t, i) => [
        `twatch-${t.triple}.${t.archiveFormat}`,
        `tracewatch_cli-0.5.0rc1-py3-none-${platformTags[i]}.whl`,
      ]),
    );
  });

  test("the static pyproject.toml version is patched to the tag's PEP 440 spelling", async () => {
    expect((await plan("binBindings")).versionPatch).toEqual({
      from: "0.1.0",
      to: "0.5.0-rc.1",
      pyproject: { file: "pyproject.toml", from: "0.1.0", to: "0.5.0rc1" },
      requirements: [],
      files: ["Cargo.toml", "Cargo.lock", "pyproject.toml"],
    });
  });

  test("without `bindings`, maturin's own detection gives bin for a crate with only binaries", async () => {
    const files = await readProject(LAYOUTS.binBindings);
    const pyproject = pyprojectText(files).replace('bindings = "bin"\n', "");
    expect(readManifest(withPyproject(files, pyproject)).python?.bindings).toBe("bin");
  });

  test("the smoke test runs the installed executable and imports nothing", async () => {
    const manifest = readManifest(await readProject(LAYOUTS.binBindings));
    expect(smokeSubject(manifest)).toEqual({ importName: null, script: "twatch" });
  });
});

describe("[tool.maturin] manifest-path into a virtual workspace, shaped like uv and ruff", () => {
  test("the member the manifest path names is released, with both its executables", async () => {
    const planned = await plan("manifestPath");
    expect(planned.project).toMatchObject({
      packageName: "lintkit",
      packageDir: "crates/lintkit",
      bins: ["lintkit", "lintkitx"],
      versionSource: "workspace",
      license: "MIT OR Apache-2.0",
      repositoryUrl: "https://github.com/example/lintkit",
    });
    expect(planned.versionPatch).toEqual({
      from: "0.4.0",
      to: "0.5.0-rc.1",
      pyproject: null,
      requirements: [],
      files: ["Cargo.toml", "Cargo.lock"],
    });
    expect(planned.python).toMatchObject({
      project: "lintkit",
      bindings: "bin",
      moduleName: "lintkit",
      pythonSource: "python",
      executables: ["lintkit", "lintkitx"],
      wheels: platformTags.map((tag) => `lintkit-0.5.0rc1-py3-none-${tag}.whl`),
    });
    expect(planned.github?.assets).toContain("lintkit-x86_64-pc-windows-msvc.zip");
  });

  test("the lock entries of every member inheriting the workspace version are patched", async () => {
    const manifest = readManifest(await readProject(LAYOUTS.manifestPath));
    expect(manifest.versionedPackages).toEqual(["lintkit", "lintkit-core"]);
  });

  test("a version of the crate's own is patched in the crate's manifest", async () => {
    const files = await readProject(LAYOUTS.manifestPath);
    const member = files.members["crates/lintkit"] as string;
    const planned = await planFor({
      files: {
        ...files,
        members: {
          ...files.members,
          "crates/lintkit": member.replace("version.workspace = true", 'version = "0.4.0"'),
        },
      },
      tag: TAG,
    });
    expect(planned.versionPatch?.files).toEqual(["crates/lintkit/Cargo.toml", "Cargo.lock"]);
    expect(planned.project.versionSource).toBe("package");
  });

  test("the smoke test imports the package python-source ships and runs the executable", async () => {
    const manifest = readManifest(await readProject(LAYOUTS.manifestPath));
    expect(manifest.python?.pythonPackage).toBe("lintkit");
    expect(smokeSubject(manifest)).toEqual({ importName: "lintkit", script: "lintkit" });
  });

  test("without module-name, maturin's default (the project name) names the package", async () => {
    const pyproject = pyprojectText(await readProject(LAYOUTS.manifestPath));
    const planned = await plan("manifestPath", {
      "pyproject.toml": pyproject.replace('module-name = "lintkit"\n', ""),
    });
    expect(planned.python?.moduleName).toBeNull();
  });

  test("an extension there: its Windows import library is planned from the member's lock entry", async () => {
    const files = await readProject(LAYOUTS.manifestPath);
    const extension = (pyo3: string) => ({
      "pyproject.toml": pyprojectText(files)
        .replace('bindings = "bin"', 'bindings = "pyo3"\nfeatures = ["python"]')
        .replace('module-name = "lintkit"', 'module-name = "lintkit._native"'),
      "crates/lintkit/Cargo.toml":
        `${files.members["crates/lintkit"]}pyo3 = { version = "0.22", optional = true }\n\n` +
        '[lib]\ncrate-type = ["cdylib", "rlib"]\n\n' +
        '[features]\npython = ["dep:pyo3", "pyo3/extension-module", "pyo3/abi3-py39"]\n',
      "crates/lintkit/src/lib.rs": "",
      "Cargo.lock":
        `${files.cargoLock}\n[[package]]\nname = "pyo3"\nversion = "${pyo3}"\n` +
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
    });
    expect((await plan("manifestPath", extension("0.22.6"))).python?.windows?.way).toBe(
      "python3.def",
    );
    expect(await refusal("manifestPath", extension("0.15.2"))).toContain(
      "Upgrade pyo3 to 0.16.4 or later in crates/lintkit/Cargo.toml",
    );
  });
});

describe("a workspace without pyproject.toml: --cargo-package", () => {
  test("names the package whose binaries are released; nothing is planned for Python", async () => {
    const planned = await plan("pureRustWorkspace", {}, { cargoPackage: "beta" });
    expect(planned.python).toBeNull();
    expect(planned.targets.every((t) => t.wheel === null)).toBe(true);
    expect(planned.project).toMatchObject({
      packageName: "beta",
      packageDir: "crates/beta",
      bins: ["beta", "beta-admin"],
      versionSource: "workspace",
    });
    expect(planned.github?.assets).toEqual([
      "SHA256SUMS",
      ...DEFAULT_TARGETS.flatMap((t) => {
        const archive = `beta-${t.triple}.${t.archiveFormat}`;
        return [archive, `${archive}.cdx.json`];
      }).sort(),
    ]);
  });

  test("a member with a version of its own gets that manifest patched", async () => {
    const planned = await plan("pureRustWorkspace", {}, { cargoPackage: "alpha" });
    expect(planned.versionPatch).toMatchObject({
      from: "0.9.0",
      files: ["crates/alpha/Cargo.toml", "Cargo.lock"],
    });
  });

  test("a single package without pyproject.toml is pure Rust: no Python at all", async () => {
    const planned = await plan("binBindings", { "pyproject.toml": null });
    expect(planned.python).toBeNull();
    expect(planned.versionPatch?.files).toEqual(["Cargo.toml", "Cargo.lock"]);
  });
});

describe("bad input is refused by the plan, naming the value and the fix", () => {
  const binPyproject = async () => pyprojectText(await readProject(LAYOUTS.binBindings));
  const lintkitPyproject = async () => pyprojectText(await readProject(LAYOUTS.manifestPath));

  test.each(["cffi", "uniffi"])("bindings = %j: not supported yet", async (bindings) => {
    const pyproject = (await binPyproject()).replace('"bin"', `"${bindings}"`);
    expect(await refusal("binBindings", { "pyproject.toml": pyproject })).toBe(
      `pyproject.toml sets [tool.maturin] bindings = "${bindings}": not supported yet. This ` +
        'pipeline builds pyo3 extensions (abi3) and "bin" wheels (the CLI itself); set ' +
        'bindings = "pyo3" or "bin" in [tool.maturin] if one of them fits',
    );
  });

  test("cffi as maturin would detect it (a cdylib without pyo3) is refused too", async () => {
    const cargoToml = (await readProject(LAYOUTS.binBindings)).cargoToml.replace(
      "[[bin]]",
      '[lib]\ncrate-type = ["cdylib"]\npath = "src/main.rs"\n\n[[bin]]',
    );
    const pyproject = (await binPyproject()).replace('bindings = "bin"\n', "");
    expect(
      await refusal("binBindings", { "Cargo.toml": cargoToml, "pyproject.toml": pyproject }),
    ).toMatch(
      /^maturin would build "tracewatch" with bindings = "cffi" \(detected from Cargo.toml\): not supported yet/,
    );
  });

  test.each([
    [
      "a manifest-path that does not exist",
      'manifest-path = "crates/lintkit-cli/Cargo.toml"',
      'pyproject.toml sets [tool.maturin] manifest-path = "crates/lintkit-cli/Cargo.toml", which does not exist',
    ],
    [
      "a manifest-path to a crate the workspace excludes",
      'manifest-path = "crates/lintkit-trampoline/Cargo.toml"',
      'pyproject.toml sets [tool.maturin] manifest-path = "crates/lintkit-trampoline/Cargo.toml", ' +
        "which is not a member of the workspace in Cargo.toml: add its directory to [workspace] members",
    ],
    [
      "a manifest-path outside the source",
      'manifest-path = "../lintkit/Cargo.toml"',
      'pyproject.toml sets [tool.maturin] manifest-path = "../lintkit/Cargo.toml", outside the ' +
        "source directory: only --source reaches the build; give a path inside it (relative to " +
        "the directory of pyproject.toml), or point --source at a directory that holds both",
    ],
    [
      "no manifest-path while Cargo.toml is a virtual workspace",
      "",
      'pyproject.toml builds with maturin, but Cargo.toml is a virtual workspace: set [tool.maturin] manifest-path = "crates/<name>/Cargo.toml" to the package the wheels are built from',
    ],
  ])("%s", async (_case, line, message) => {
    const pyproject = (await lintkitPyproject()).replace(
      'manifest-path = "crates/lintkit/Cargo.toml"',
      line,
    );
    expect(await refusal("manifestPath", { "pyproject.toml": pyproject })).toBe(message);
  });

  test("python-source without the module maturin would look for", async () => {
    expect(await refusal("manifestPath", { "python/lintkit": null })).toBe(
      'pyproject.toml sets [tool.maturin] python-source = "python", but ' +
        "python/lintkit/__init__.py does not exist, so maturin would refuse to build: create the " +
        "package there, set module-name to the package python-source holds, or remove python-source",
    );
  });

  test.each([
    [
      '[build-system]\nbuild-backend = "setuptools.build_meta"\n',
      'build-backend = "setuptools.build_meta"',
    ],
    ['[project]\nname = "tracewatch"\nversion = "0.1.0"\n', "no [build-system] build-backend"],
  ])("a pyproject.toml that does not build with maturin: %j", async (pyproject, backend) => {
    expect(await refusal("binBindings", { "pyproject.toml": pyproject })).toBe(
      `pyproject.toml builds with ${backend}, not maturin: this pipeline builds wheels with ` +
        'maturin only; set build-backend = "maturin" in [build-system] (with maturin in `requires`), ' +
        "or name the directory of a maturin pyproject.toml with --python-project <dir>",
    );
  });

  test.each([
    [
      "no --cargo-package in a workspace with two CLIs",
      null,
      "Cargo.toml is a virtual workspace with several packages that have binaries: alpha, beta. " +
        "Choose the one to release with --cargo-package <name>",
    ],
    [
      "a package that does not exist",
      "gamma",
      "--cargo-package gamma: the project has no package of that name; its packages are alpha, " +
        "beta, shared (with binaries: alpha, beta)",
    ],
    [
      "a package without binaries",
      "shared",
      "--cargo-package shared: that package has no binary target (this pipeline releases a CLI); " +
        "packages with binaries: alpha, beta",
    ],
  ])("%s", async (_case, cargoPackage, message) => {
    expect(await refusal("pureRustWorkspace", {}, { cargoPackage })).toBe(message);
  });

  test("a package the workspace excludes is no package of the project", async () => {
    expect(await refusal("manifestPath", {}, { cargoPackage: "lintkit-trampoline" })).toContain(
      "its packages are lintkit, lintkit-core, lintkit-server",
    );
  });

  test("--cargo-package naming another package than the wheels' is refused", async () => {
    expect(await refusal("manifestPath", {}, { cargoPackage: "lintkit-server" })).toBe(
      "--cargo-package lintkit-server, but pyproject.toml's maturin builds the wheels from " +
        "lintkit (crates/lintkit/Cargo.toml): a release holds one package's binaries and " +
        "wheels; drop --cargo-package to release lintkit",
    );
    // Naming the same package is fine.
    expect((await plan("manifestPath", {}, { cargoPackage: "lintkit" })).project.packageName).toBe(
      "lintkit",
    );
  });
});
