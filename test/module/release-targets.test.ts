import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { wheelName } from "../../lib/plan/names.js";
import { DEFAULT_TARGET_TRIPLES, findTarget, TARGET_TRIPLES } from "../../lib/plan/targets.js";
import { IMAGES } from "../../lib/stages/images.js";
import { type ArgValue, directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import {
  flagValue,
  isBinaryCheck,
  isCompile,
  isMaturinBuild,
  isSmokeTest,
  scriptSpec,
} from "../support/execs.js";
import { copyExample, scratchDir, writeTree } from "../support/projects.js";
import {
  built,
  builtAndUploaded,
  REPOSITORY,
  ReleaseServices,
  SHA,
  TAG,
} from "../support/release-scenario.js";

/**
 * `dagger call release --dry-run` on projects that choose their targets: Linux only (glibc and
 * static musl, in Cargo.toml), every target (--targets), no Linux at all; and a resume asked
 * for other targets than the staged ones.
 */
const mod = new ModuleUnderTest();
const linuxOnly = scratchDir("linux-only");
let services: ReleaseServices | null = null;

const LINUX_TRIPLES = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-unknown-linux-musl",
  "aarch64-unknown-linux-musl",
];
const ABI3_CP38 = { python: "cp38", abi: "abi3" };
const archiveOf = (triple: string) => `sample-usage-${triple}.${findTarget(triple).archiveFormat}`;
const wheelOf = (triple: string) =>
  wheelName("sample_usage", "0.1.5", ABI3_CP38, findTarget(triple));

beforeAll(async () => {
  await mod.start();
  copyExample(linuxOnly.path);
  const cargoToml = readFileSync(join(linuxOnly.path, "Cargo.toml"), "utf8");
  const list = LINUX_TRIPLES.map((t) => `  "${t}",\n`).join("");
  writeTree(linuxOnly.path, {
    "Cargo.toml": `${cargoToml}\n[package.metadata.rust-release]\ntargets = [\n${list}]\n`,
  });
});
afterAll(async () => {
  await mod.stop();
  linuxOnly.remove();
});
afterEach(async () => {
  await services?.stop();
  services = null;
});

async function dryRun(module: Record<string, ArgValue>) {
  const outcome = await mod.call(
    "release",
    { tag: TAG, sha: SHA, repository: REPOSITORY, dryRun: true },
    { module, answers: built() },
  );
  if (outcome.error) throw new Error(outcome.error);
  return { outcome, report: String(outcome.value), execs: outcome.model.execs };
}

const buildTargets = (execs: ExecRecord[]) =>
  execs
    .filter(isCompile)
    .map((e) => flagValue(e, "--target"))
    .sort();

describe("release --dry-run of a project that releases Linux gnu and musl only", () => {
  test("builds, checks and would stage only those targets; the image carries the static builds", async () => {
    const { report, execs } = await dryRun({ source: directoryArg(linuxOnly.path) });
    expect(buildTargets(execs)).toEqual(
      [
        "x86_64-unknown-linux-gnu.2.17",
        "aarch64-unknown-linux-gnu.2.17",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
      ].sort(),
    );
    expect(execs.some((e) => e.image === IMAGES.xwin)).toBe(false);
    // Each binary is checked as its row says: glibc through its loader, musl statically.
    expect(
      execs
        .filter(isBinaryCheck)
        .map((e) => `${scriptSpec(e).target} ${scriptSpec(e).abi}`)
        .sort(),
    ).toEqual(LINUX_TRIPLES.map((t) => `${t} ${t.endsWith("musl") ? "musl" : "gnu"}`).sort());
    // maturin builds manylinux and musllinux wheels.
    expect(
      execs
        .filter(isMaturinBuild)
        .map((e) => `${flagValue(e, "--target")} ${flagValue(e, "--compatibility")}`)
        .sort(),
    ).toEqual(
      LINUX_TRIPLES.map(
        (t) => `${t} ${t.endsWith("musl") ? "musllinux_1_2" : "manylinux2014"}`,
      ).sort(),
    );

    const staged = [
      ...LINUX_TRIPLES.map(archiveOf),
      "SHA256SUMS",
      ...LINUX_TRIPLES.map(wheelOf),
      "sample_usage-0.1.5.tar.gz",
    ];
    for (const file of staged) expect(report).toMatch(new RegExp(`would stage\\s+${file}\\s`));
    expect(report).not.toMatch(/apple-darwin|windows-msvc|macosx|win_amd64/);

    // Both x86_64 binaries run natively and report the version; the glibc wheel is installed.
    const versions = execs.filter((e) => e.argv[1] === "--version" && e.image === IMAGES.python);
    expect(versions.map((e) => e.platform)).toEqual(["linux/amd64", "linux/amd64"]);
    const smoke = execs.filter(isSmokeTest).map((e) => scriptSpec(e).wheel);
    expect(smoke).toEqual([`/wheel/${wheelOf("x86_64-unknown-linux-gnu")}`]);

    // The image: the musl binaries on distroless static; the native one smoke-tested.
    const onStatic = execs.filter((e) => e.image === IMAGES.runtimeStatic);
    expect(onStatic.map((e) => [e.platform, e.argv])).toEqual([
      ["linux/amd64", ["/usr/local/bin/sample-usage", "--version"]],
    ]);
    expect(execs.some((e) => e.image === IMAGES.runtime)).toBe(false);
    expect(report).toContain(
      "Image platforms: linux/amd64 from x86_64-unknown-linux-musl (distroless static), " +
        "linux/arm64 from aarch64-unknown-linux-musl (distroless static).",
    );
    expect(report).toMatch(/Image ghcr\.io\/octo\/sample-usage \(linux\/amd64, linux\/arm64\)/);
  });
});

describe("release --dry-run with every target (--targets)", () => {
  test("twelve builds, archives and wheels; five image platforms; i686 has none", async () => {
    const { report, execs } = await dryRun({ targets: [...TARGET_TRIPLES] });
    expect(execs.filter(isCompile)).toHaveLength(12);
    expect(execs.filter((e) => isCompile(e) && e.image === IMAGES.xwin)).toHaveLength(2);
    expect(execs.filter(isMaturinBuild)).toHaveLength(12);
    expect(execs.filter(isBinaryCheck)).toHaveLength(12);
    for (const triple of TARGET_TRIPLES) {
      expect(report).toMatch(new RegExp(`would stage\\s+${archiveOf(triple)}\\s`));
      expect(report).toMatch(new RegExp(`would stage\\s+${wheelOf(triple)}\\s`));
    }
    expect(report).toMatch(
      /Image ghcr\.io\/octo\/sample-usage \(linux\/amd64, linux\/arm64, linux\/arm\/v7, linux\/ppc64le, linux\/s390x\)/,
    );
    expect(report).toContain(
      "Image platforms: linux/amd64 from x86_64-unknown-linux-musl (distroless static), " +
        "linux/arm64 from aarch64-unknown-linux-musl (distroless static), linux/arm/v7 from " +
        "armv7-unknown-linux-gnueabihf (distroless cc), linux/ppc64le from " +
        "powerpc64le-unknown-linux-gnu (distroless cc), linux/s390x from s390x-unknown-linux-gnu " +
        "(distroless cc).",
    );
    // Windows on Arm takes the same import-library rule as x86_64 (the sample's pyo3 needs none).
    const windowsWheels = execs.filter((e) => isMaturinBuild(e) && e.image === IMAGES.xwin);
    expect(windowsWheels.map((e) => flagValue(e, "--target")).sort()).toEqual([
      "aarch64-pc-windows-msvc",
      "x86_64-pc-windows-msvc",
    ]);
  });
});

describe("release --dry-run without a Linux target", () => {
  test("no image is built, and the report says why", async () => {
    const { report, execs } = await dryRun({
      targets: ["aarch64-apple-darwin", "x86_64-pc-windows-msvc", "aarch64-pc-windows-msvc"],
    });
    expect(buildTargets(execs)).toEqual([
      "aarch64-apple-darwin",
      "aarch64-pc-windows-msvc",
      "x86_64-pc-windows-msvc",
    ]);
    expect(execs.some((e) => e.image === IMAGES.runtime || e.image === IMAGES.runtimeStatic)).toBe(
      false,
    );
    expect(report).toMatch(
      /\nImage\n\s+not applicable\s+-\s+no Linux target among the release's targets \(aarch64-apple-darwin, x86_64-pc-windows-msvc, aarch64-pc-windows-msvc, from --targets\)\n/,
    );
    expect(report.trim().endsWith("OK")).toBe(true);
  });
});

describe("a bad target list", () => {
  test("stops the release before any container is made, naming the value", async () => {
    const outcome = await mod.call(
      "release",
      { tag: TAG, sha: SHA, repository: REPOSITORY, dryRun: true },
      { module: { targets: ["x86_64-unknown-linux-musl", "x86_64-unknown-linux-musl"] } },
    );
    expect(outcome.error).toBe('--targets lists "x86_64-unknown-linux-musl" twice: remove one');
    expect(outcome.model.containers).toEqual([]);
  });
});

describe("resuming a staged release with other targets", () => {
  test("is refused before anything is built, naming the staged targets", async () => {
    services = await new ReleaseServices({ pypiPublishers: [] }).start();
    const first = await mod.call("release", services.args(), {
      answers: builtAndUploaded(services),
    });
    expect(first.error).toMatch(/invalid-publisher/);
    const rerun = await mod.call("release", services.args(), {
      module: { targets: ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"] },
      answers: built(),
    });
    expect(rerun.error).toBe(
      `release v0.1.5 on GitHub was staged for the targets ${DEFAULT_TARGET_TRIPLES.join(", ")}, ` +
        "but this run's targets (from --targets) are x86_64-unknown-linux-gnu, " +
        `x86_64-unknown-linux-musl. Release the staged targets (--targets ${DEFAULT_TARGET_TRIPLES.join(",")}), ` +
        "or, to change them, delete the draft release on GitHub and run again",
    );
    expect(rerun.model.execs.filter(isCompile)).toEqual([]);
  });
});
