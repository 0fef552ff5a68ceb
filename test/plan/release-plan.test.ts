import { describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { planFor, pyprojectText, withPyproject } from "../support/plan.js";
import { EXAMPLE_DIR, readProject } from "../support/projects.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("buildReleasePlan on the sample crate", async () => {
  const files = await readProject(EXAMPLE_DIR);

  test("a stable tag: every artifact, destination and tag is decided up front", async () => {
    const plan = await planFor({
      files,
      tag: "v0.1.5",
      commit: SHA,
      repository: "Octo/Sample-Usage",
    });
    expect(plan.version).toEqual({
      tag: "v0.1.5",
      cargo: "0.1.5",
      pep440: "0.1.5",
      prerelease: false,
      major: 0,
      minor: 1,
      patch: 5,
    });
    expect(plan.tagged).toBe(true);
    expect(plan.commit).toEqual({ sha: SHA, short: "0123456" });
    expect(plan.versionPatch).toEqual({
      from: "0.1.0",
      to: "0.1.5",
      pyproject: null,
      requirements: [],
      files: ["Cargo.toml", "Cargo.lock"],
    });
    expect(plan.project).toMatchObject({
      packageName: "sample-usage",
      bins: ["sample-usage"],
      libName: "sample_usage_core",
      crateTypes: ["cdylib", "rlib"],
      currentVersion: "0.1.0",
    });
    expect(plan.targets.map((t) => [t.triple, t.archive, t.wheel])).toEqual([
      [
        "x86_64-unknown-linux-gnu",
        "sample-usage-x86_64-unknown-linux-gnu.tar.gz",
        "sample_usage-0.1.5-cp38-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
      ],
      [
        "aarch64-unknown-linux-gnu",
        "sample-usage-aarch64-unknown-linux-gnu.tar.gz",
        "sample_usage-0.1.5-cp38-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
      ],
      [
        "x86_64-apple-darwin",
        "sample-usage-x86_64-apple-darwin.tar.gz",
        "sample_usage-0.1.5-cp38-abi3-macosx_10_12_x86_64.whl",
      ],
      [
        "aarch64-apple-darwin",
        "sample-usage-aarch64-apple-darwin.tar.gz",
        "sample_usage-0.1.5-cp38-abi3-macosx_11_0_arm64.whl",
      ],
      [
        "x86_64-pc-windows-msvc",
        "sample-usage-x86_64-pc-windows-msvc.zip",
        "sample_usage-0.1.5-cp38-abi3-win_amd64.whl",
      ],
    ]);
    // Each archive has its CycloneDX SBOM beside it, named after it.
    expect(plan.targets.map((t) => t.sbom)).toEqual(
      plan.targets.map((t) => `${t.archive}.cdx.json`),
    );
    expect(plan.checksums.file).toBe("SHA256SUMS");
    expect(plan.checksums.covers).toEqual(plan.targets.flatMap((t) => [t.archive, t.sbom]).sort());
    expect(plan.github?.assets).toEqual([...plan.checksums.covers, "SHA256SUMS"].sort());
    expect(plan.python).toMatchObject({
      project: "sample-usage",
      distName: "sample_usage",
      version: "0.1.5",
      bindings: "pyo3",
      wheelTags: { python: "cp38", abi: "abi3" },
      features: ["pyo3"],
      executables: [],
      moduleName: "sample_usage._native",
      sdist: "sample_usage-0.1.5.tar.gz",
    });
    expect(plan.image).toEqual({
      registry: "ghcr.io",
      repository: "ghcr.io/octo/sample-usage",
      tags: ["v0.1.5", "v0.1", "v0", "sha-0123456"],
      references: [
        "ghcr.io/octo/sample-usage:v0.1.5",
        "ghcr.io/octo/sample-usage:v0.1",
        "ghcr.io/octo/sample-usage:v0",
        "ghcr.io/octo/sample-usage:sha-0123456",
      ],
      variants: [
        { platform: "linux/amd64", target: "x86_64-unknown-linux-gnu", base: "cc" },
        { platform: "linux/arm64", target: "aarch64-unknown-linux-gnu", base: "cc" },
      ],
      platforms: ["linux/amd64", "linux/arm64"],
    });
    expect(plan.repository).toEqual({ owner: "Octo", name: "Sample-Usage" });
    expect(plan.github).toEqual({
      releaseName: "v0.1.5",
      prerelease: false,
      makeLatest: "true",
      assets: [...plan.checksums.covers, "SHA256SUMS"].sort(),
    });
  });

  test("a prerelease is never latest anywhere", async () => {
    const plan = await planFor({
      files,
      tag: "v1.0.0-rc.1",
      commit: SHA,
      repository: "octo/sample-usage",
      latestOnRelease: true,
    });
    expect(plan.version.pep440).toBe("1.0.0rc1");
    expect(plan.github).toMatchObject({ prerelease: true, makeLatest: "false" });
    expect(plan.image?.tags).toEqual(["v1.0.0-rc.1", "sha-0123456"]);
    expect(plan.python?.wheels[0]).toBe(
      "sample_usage-1.0.0rc1-cp38-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    );
  });

  test("without --repository, Cargo.toml's github.com repository names the release", async () => {
    const plan = await planFor({ files, tag: "v0.2.0" });
    expect(plan.repository).toEqual({ owner: "example", name: "sample-usage" });
    expect(plan.image?.repository).toBe("ghcr.io/example/sample-usage");
    // Without a commit the image has no sha-<7> tag.
    expect(plan.image?.tags).toEqual(["v0.2.0", "v0.2", "v0"]);
  });

  test("with no repository anywhere, the publishing sections are empty but the build is planned", async () => {
    const cargoToml = files.cargoToml.replace(/^repository = .*\n/m, "");
    const plan = await planFor({ files: { ...files, cargoToml }, tag: "v0.2.0" });
    expect(plan.commit).toBeNull();
    expect(plan.github).toBeNull();
    expect(plan.image).toBeNull();
    expect(plan.targets).toHaveLength(5);
  });

  test("a dry run fills a missing commit and repository with marked placeholders", async () => {
    const cargoToml = files.cargoToml.replace(/^repository = .*\n/m, "");
    const plan = await planFor({ files: { ...files, cargoToml }, tag: "v0.2.0", dryRun: true });
    expect(plan.commit).toEqual({ sha: "0".repeat(40), short: "0000000" });
    expect(plan.repository).toEqual({ owner: "OWNER", name: "REPOSITORY" });
    expect(plan.image?.references).toContain("ghcr.io/owner/repository:sha-0000000");
    expect(plan.placeholders).toEqual([
      expect.stringMatching(/^commit 0000000: no --sha was given/),
      expect.stringMatching(/^repository OWNER\/REPOSITORY: no --repository was given/),
    ]);
    // What was given is never replaced, and a real release makes nothing up.
    const given = await planFor({ files, tag: "v0.2.0", commit: SHA, dryRun: true });
    expect(given.placeholders).toEqual([]);
    expect(given.repository).toEqual({ owner: "example", name: "sample-usage" });
    expect((await planFor({ files, tag: "v0.2.0" })).placeholders).toEqual([]);
  });

  test("--registry puts the image in another registry, lowercased, with the same tags", async () => {
    const plan = await planFor({
      files,
      tag: "v0.1.5",
      commit: SHA,
      repository: "Octo/Sample-Usage",
      registry: "Registry.Example.com:5000",
    });
    expect(plan.image?.registry).toBe("registry.example.com:5000");
    expect(plan.image?.references[0]).toBe("registry.example.com:5000/octo/sample-usage:v0.1.5");
    for (const bad of ["https://ghcr.io", "ghcr.io/octo", "", "host:port"]) {
      await expect(
        planFor({ files, tag: "v0.1.5", repository: "o/r", registry: bad }),
      ).rejects.toThrow(`invalid registry "${bad}"`);
    }
  });

  test("the plan is plain JSON data", async () => {
    const plan = await planFor({ files, tag: "v0.1.5", commit: SHA, repository: "o/r" });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  test.each([
    [{ tag: "0.1.5" }, 'invalid tag "0.1.5"'],
    [{ tag: "v0.1.5", commit: "abc" }, 'invalid commit sha "abc"'],
    [{ tag: "v0.1.5", repository: "nope" }, 'invalid repository "nope"'],
  ])("bad input %j is refused", async (input, message) => {
    await expect(planFor({ files, ...input })).rejects.toThrow(message);
  });

  test("a static pyproject version is patched to the tag's PEP 440 spelling", async () => {
    const pyproject = pyprojectText(files).replace('dynamic = ["version"]', 'version = "0.1.0"');
    const plan = await planFor({ files: withPyproject(files, pyproject), tag: "v0.1.5-rc.2" });
    expect(plan.versionPatch).toEqual({
      from: "0.1.0",
      to: "0.1.5-rc.2",
      pyproject: { file: "pyproject.toml", from: "0.1.0", to: "0.1.5rc2" },
      requirements: [],
      files: ["Cargo.toml", "Cargo.lock", "pyproject.toml"],
    });
    expect(plan.python?.version).toBe("0.1.5rc2");
  });

  test("a Python extension without abi3 is refused with the fix", async () => {
    const cargoToml = files.cargoToml.replace(', "pyo3/abi3-py38"', "");
    let error: unknown;
    try {
      await planFor({ files: { ...files, cargoToml }, tag: "v0.1.5" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanError);
    expect((error as Error).message).toContain(
      'the Python extension of "sample-usage" is not abi3',
    );
  });
});

describe("what a call builds: the plan without a tag, for one target, for the main branch", async () => {
  const files = await readProject(EXAMPLE_DIR);

  test("without --tag the build carries Cargo.toml's version, read like a tag, and patches nothing", async () => {
    const plan = await planFor({ files });
    expect(plan.tagged).toBe(false);
    expect(plan.version).toMatchObject({ tag: "v0.1.0", cargo: "0.1.0", pep440: "0.1.0" });
    expect(plan.versionPatch).toBeNull();
    expect(plan.python?.version).toBe("0.1.0");
    expect(plan.targets[0]?.wheel).toBe(
      "sample_usage-0.1.0-cp38-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    );
  });

  test("a Cargo.toml version no release can carry is refused, naming the file", async () => {
    const cargoToml = files.cargoToml.replace('version = "0.1.0"', 'version = "0.1.0+local"');
    const cargoLock = (files.cargoLock as string).replace(
      'name = "sample-usage"\nversion = "0.1.0"',
      'name = "sample-usage"\nversion = "0.1.0+local"',
    );
    await expect(planFor({ files: { ...files, cargoToml, cargoLock } })).rejects.toThrow(
      /Cargo\.toml has version "0\.1\.0\+local", which a release cannot carry .*pass --tag/,
    );
  });

  test("--target plans that target alone: its row, its archive, its wheel; no image", async () => {
    const plan = await planFor({ files, tag: "v0.1.5", target: "aarch64-apple-darwin" });
    expect(plan.targets.map((t) => t.triple)).toEqual(["aarch64-apple-darwin"]);
    expect(plan.targets[0]).toMatchObject({
      os: "macos",
      macosDeploymentTarget: "11.0",
      archive: "sample-usage-aarch64-apple-darwin.tar.gz",
      binaries: [
        {
          name: "sample-usage",
          file: "sample-usage",
          path: "aarch64-apple-darwin/release/sample-usage",
        },
      ],
    });
    expect(plan.checksums.covers).toEqual([
      "sample-usage-aarch64-apple-darwin.tar.gz",
      "sample-usage-aarch64-apple-darwin.tar.gz.cdx.json",
    ]);
    expect(plan.python?.wheels).toEqual(["sample_usage-0.1.5-cp38-abi3-macosx_11_0_arm64.whl"]);
    expect(plan.image).toBeNull();
  });

  test("--platform plans the Linux target of that platform, and the image has that variant", async () => {
    const plan = await planFor({ files, repository: "o/r", platform: "linux/arm64" });
    expect(plan.targets.map((t) => t.triple)).toEqual(["aarch64-unknown-linux-gnu"]);
    expect(plan.image?.variants).toEqual([
      { platform: "linux/arm64", target: "aarch64-unknown-linux-gnu", base: "cc" },
    ]);
  });

  test("an unknown --target or --platform is refused with the known ones", async () => {
    await expect(planFor({ files, target: "riscv64gc-unknown-linux-gnu" })).rejects.toThrow(
      /unknown target "riscv64gc-unknown-linux-gnu": choose one of x86_64-unknown-linux-gnu, /,
    );
    await expect(planFor({ files, platform: "linux/s390x" })).rejects.toThrow(
      'unsupported platform "linux/s390x"',
    );
  });

  test("a main-branch image: latest and sha-<7>, Cargo.toml's version, no tag allowed", async () => {
    const plan = await planFor({ files, repository: "o/r", commit: SHA, mainBranch: true });
    expect(plan.image?.tags).toEqual(["latest", "sha-0123456"]);
    await expect(
      planFor({ files, repository: "o/r", commit: SHA, mainBranch: true, tag: "v1.0.0" }),
    ).rejects.toThrow("a main-branch image has no release tag");
  });
});
