import { describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { readManifest } from "../../lib/plan/manifest.js";
import type { ProjectFiles } from "../../lib/plan/project-files.js";
import { planPython } from "../../lib/plan/python-plan.js";
import type { PlanRequest } from "../../lib/plan/release-plan.js";
import { chooseTargets, selectTargets } from "../../lib/plan/target-selection.js";
import { DEFAULT_TARGET_TRIPLES, findTarget, TARGET_TRIPLES } from "../../lib/plan/targets.js";
import { parseTag } from "../../lib/plan/version.js";
import { planFor, projectFiles } from "../support/plan.js";
import { SINGLE_PACKAGE, WORKSPACE } from "./fixtures.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

/** The codex-usage-shaped package's files, its Cargo.toml ending in `extra`. */
function single(extra = ""): ProjectFiles {
  return projectFiles({
    cargoToml: `${SINGLE_PACKAGE["Cargo.toml"]}${extra}`,
    cargoLock: SINGLE_PACKAGE["Cargo.lock"],
    pyproject: { file: "pyproject.toml", text: SINGLE_PACKAGE["pyproject.toml"], origin: "root" },
  });
}

/** The virtual workspace (ws-cli releases), with text added to the root and the CLI's manifest. */
function workspace(rootExtra: string, cliExtra = ""): ProjectFiles {
  return projectFiles({
    cargoToml: `${WORKSPACE["Cargo.toml"]}${rootExtra}`,
    cargoLock: WORKSPACE["Cargo.lock"],
    members: {
      "crates/cli": `${WORKSPACE["crates/cli/Cargo.toml"]}${cliExtra}`,
      "crates/core": WORKSPACE["crates/core/Cargo.toml"],
      "crates/tool": WORKSPACE["crates/tool/Cargo.toml"],
    },
    sourceFiles: ["crates/cli/src/main.rs"],
  });
}

const LINUX_ONLY = `
[package.metadata.rust-release]
# Linux only: glibc and static musl builds.
targets = [
  "x86_64-unknown-linux-musl",
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "aarch64-unknown-linux-musl",
]
`;

function plan(files: ProjectFiles, request: Omit<PlanRequest, "tag"> = {}) {
  return planFor({ files, tag: "v0.1.5", commit: SHA, repository: "octo/codex-usage", ...request });
}

async function refusal(
  files: ProjectFiles,
  request: Omit<PlanRequest, "tag"> = {},
): Promise<string> {
  try {
    await await plan(files, request);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return (error as Error).message;
  }
  throw new Error("expected the plan to be refused");
}

/** The line number of the first line of `text` containing `needle` (1-based). */
function lineOf(text: string, needle: string, nth = 1): number {
  let found = 0;
  const index = text.split("\n").findIndex((line) => line.includes(needle) && ++found === nth);
  if (index === -1) throw new Error(`no line with ${needle}`);
  return index + 1;
}

describe("which targets a release builds", () => {
  test("nothing chosen: the default five, in the table's order", async () => {
    const p = await plan(single());
    expect(p.targetSource).toBe("the default");
    expect(p.targets.map((t) => t.triple)).toEqual(DEFAULT_TARGET_TRIPLES);
    expect(p.image?.platforms).toEqual(["linux/amd64", "linux/arm64"]);
  });

  test("[package.metadata.rust-release] targets: every artifact follows the list", async () => {
    const p = await plan(single(LINUX_ONLY));
    expect(p.targetSource).toBe("Cargo.toml [package.metadata.rust-release] targets");
    const triples = [
      "x86_64-unknown-linux-gnu",
      "aarch64-unknown-linux-gnu",
      "x86_64-unknown-linux-musl",
      "aarch64-unknown-linux-musl",
    ];
    expect(p.targets.map((t) => t.triple)).toEqual(triples);
    const archives = triples.map((t) => `codex-usage-${t}.tar.gz`);
    const files = archives.flatMap((archive) => [archive, `${archive}.cdx.json`]);
    expect(p.checksums.covers).toEqual([...files].sort());
    expect(p.github?.assets).toEqual([...files, "SHA256SUMS"].sort());
    expect(p.python?.wheels).toEqual([
      "codex_usage-0.1.5-cp38-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
      "codex_usage-0.1.5-cp38-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
      "codex_usage-0.1.5-cp38-abi3-musllinux_1_2_x86_64.whl",
      "codex_usage-0.1.5-cp38-abi3-musllinux_1_2_aarch64.whl",
    ]);
    // Both architectures have a static build: the image carries those, on distroless static.
    expect(p.image?.variants).toEqual([
      { platform: "linux/amd64", target: "x86_64-unknown-linux-musl", base: "static" },
      { platform: "linux/arm64", target: "aarch64-unknown-linux-musl", base: "static" },
    ]);
    // No Windows target: pyo3's Windows import library is not needed, whatever the lock holds.
    expect(p.python?.windows).toBeNull();
    expect(p.noImage).toBeNull();
  });

  test("[workspace.metadata.rust-release] at the root chooses for the released member", async () => {
    const p = await plan(
      workspace('\n[workspace.metadata.rust-release]\ntargets = ["s390x-unknown-linux-gnu"]\n'),
    );
    expect(p.project.packageName).toBe("ws-cli");
    expect(p.targetSource).toBe("Cargo.toml [workspace.metadata.rust-release] targets");
    expect(p.targets.map((t) => [t.triple, t.archive])).toEqual([
      ["s390x-unknown-linux-gnu", "ws-cli-s390x-unknown-linux-gnu.tar.gz"],
    ]);
    expect(p.image?.variants).toEqual([
      { platform: "linux/s390x", target: "s390x-unknown-linux-gnu", base: "cc" },
    ]);
  });

  test("the released package's own list wins over the workspace's", async () => {
    const p = await plan(
      workspace(
        '\n[workspace.metadata.rust-release]\ntargets = ["s390x-unknown-linux-gnu"]\n',
        '\n[package.metadata.rust-release]\ntargets = ["i686-unknown-linux-gnu"]\n',
      ),
    );
    expect(p.targetSource).toBe("crates/cli/Cargo.toml [package.metadata.rust-release] targets");
    expect(p.targets.map((t) => t.triple)).toEqual(["i686-unknown-linux-gnu"]);
  });

  test("--targets overrides the project's list", async () => {
    const p = await plan(single(LINUX_ONLY), { targets: ["aarch64-pc-windows-msvc"] });
    expect(p.targetSource).toBe("--targets");
    expect(p.targets.map((t) => [t.archive, t.wheel])).toEqual([
      ["codex-usage-aarch64-pc-windows-msvc.zip", "codex_usage-0.1.5-cp38-abi3-win_arm64.whl"],
    ]);
    expect(p.python?.windows?.features).toEqual(["pyo3/generate-import-lib"]);
  });

  test("every target at once: twelve archives and wheels, five image platforms", async () => {
    const p = await plan(single(), { targets: [...TARGET_TRIPLES].reverse() });
    expect(p.targets.map((t) => t.triple)).toEqual(TARGET_TRIPLES);
    expect(p.python?.wheels).toHaveLength(12);
    expect(p.image?.platforms).toEqual([
      "linux/amd64",
      "linux/arm64",
      "linux/arm/v7",
      "linux/ppc64le",
      "linux/s390x",
    ]);
  });

  test("--target builds one target, chosen or not; the release's list is still checked", async () => {
    const p = await plan(single(LINUX_ONLY), { target: "s390x-unknown-linux-gnu" });
    expect(p.targets.map((t) => t.triple)).toEqual(["s390x-unknown-linux-gnu"]);
    expect(
      await refusal(single(), { target: "s390x-unknown-linux-gnu", targets: ["nope"] }),
    ).toContain('--targets names "nope"');
  });

  test("--platform and the engine's platform pick the target the image uses there", async () => {
    expect((await plan(single(LINUX_ONLY), { platform: "linux/arm64" })).targets[0]?.triple).toBe(
      "aarch64-unknown-linux-musl",
    );
    expect((await plan(single(), { nativePlatform: "linux/amd64" })).targets[0]?.triple).toBe(
      "x86_64-unknown-linux-gnu",
    );
    expect(await refusal(single(), { platform: "linux/riscv64" })).toBe(
      'unsupported platform "linux/riscv64": this release\'s image is built for linux/amd64, ' +
        "linux/arm64, from its Linux targets (the default)",
    );
    expect(
      await refusal(single(), { targets: ["x86_64-apple-darwin"], nativePlatform: "linux/amd64" }),
    ).toBe(
      'unsupported platform "linux/amd64" (the engine\'s platform, which one-target calls ' +
        "build without --target or --platform): this release's image is built for no " +
        "platform, from its Linux targets (--targets)",
    );
  });
});

describe("a release without an image", () => {
  test("no Linux target: no image, and the plan says why", async () => {
    const p = await plan(single(), { targets: ["aarch64-apple-darwin", "x86_64-pc-windows-msvc"] });
    expect(p.image).toBeNull();
    expect(p.noImage).toBe(
      "no Linux target among the release's targets (aarch64-apple-darwin, " +
        "x86_64-pc-windows-msvc, from --targets)",
    );
  });

  test("i686 alone: archives and wheels, no image (no linux/386 base)", async () => {
    const p = await plan(single(), { targets: ["i686-unknown-linux-gnu"] });
    expect(p.python?.wheels).toEqual([
      "codex_usage-0.1.5-cp38-abi3-manylinux2014_i686.manylinux_2_17_i686.whl",
    ]);
    expect(p.image).toBeNull();
    expect(p.noImage).toBe(
      "no base image is pinned for the platform of its Linux targets: linux/386 " +
        "(i686-unknown-linux-gnu)",
    );
  });
});

describe("bad target lists are refused before any work, naming the value and the file", () => {
  test("an unknown triple: its line, and the known ones", async () => {
    const extra =
      '\n[package.metadata.rust-release]\ntargets = [\n  "x86_64-unknown-linux-gnu",\n  "riscv64gc-unknown-linux-gnu",\n]\n';
    const files = single(extra);
    expect(await refusal(files)).toBe(
      `Cargo.toml line ${lineOf(files.cargoToml, "riscv64gc")}: ` +
        '[package.metadata.rust-release] targets names "riscv64gc-unknown-linux-gnu", which ' +
        `this pipeline cannot build: choose from ${TARGET_TRIPLES.join(", ")}`,
    );
  });

  test("a duplicate: the line of its second mention", async () => {
    const extra =
      '\n[package.metadata.rust-release]\ntargets = [\n  "x86_64-unknown-linux-musl",\n' +
      '  "x86_64-unknown-linux-gnu",\n  "x86_64-unknown-linux-musl",\n]\n';
    const files = single(extra);
    expect(await refusal(files)).toBe(
      `Cargo.toml line ${lineOf(files.cargoToml, '"x86_64-unknown-linux-musl"', 2)}: ` +
        '[package.metadata.rust-release] targets lists "x86_64-unknown-linux-musl" twice: remove one',
    );
  });

  test("an empty list, in a member's manifest", async () => {
    const files = workspace("", "\n[package.metadata.rust-release]\ntargets = []\n");
    expect(await refusal(files)).toBe(
      `crates/cli/Cargo.toml line ${lineOf(files.members["crates/cli"] ?? "", "targets = []")}: ` +
        "[package.metadata.rust-release] targets is empty: list at least one target, or leave " +
        `it out to release the default ones (${DEFAULT_TARGET_TRIPLES.join(", ")})`,
    );
  });

  test.each([
    [
      'targets = "x86_64-unknown-linux-musl"',
      'targets must be a list of target triples, like targets = ["x86_64-unknown-linux-gnu", ' +
        '"x86_64-unknown-linux-musl"]; found the string "x86_64-unknown-linux-musl"',
    ],
    [
      'targets = ["x86_64-unknown-linux-musl", 64]',
      "targets must list target triples as strings, like targets = " +
        '["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"]; found the number 64',
    ],
    ["targets = { linux = true }", "targets must be a list of target triples"],
    ['target = ["x86_64-unknown-linux-musl"]', 'has no setting "target": the settings are targets'],
  ])("a wrong type or name in the table: %s", async (line, message) => {
    const files = single(`\n[package.metadata.rust-release]\n${line}\n`);
    expect(await refusal(files)).toContain(
      `Cargo.toml line ${lineOf(files.cargoToml, line)}: [package.metadata.rust-release] ${message}`,
    );
  });

  test("rust-release that is not a table", async () => {
    const files = workspace('\n[workspace.metadata]\nrust-release = "linux"\n');
    expect(await refusal(files)).toBe(
      `Cargo.toml line ${lineOf(files.cargoToml, "rust-release =")}: ` +
        '[workspace.metadata.rust-release] must be a table of settings (targets); found the string "linux"',
    );
  });

  test("the list written inline or dotted is read and located the same way", async () => {
    const inline = single(
      '\n[package.metadata]\nrust-release = { targets = ["x86_64-unknown-linux-musl"] }\n',
    );
    expect((await plan(inline)).targets.map((t) => t.triple)).toEqual([
      "x86_64-unknown-linux-musl",
    ]);
    const dotted = single(
      '\n[package.metadata]\nrust-release.targets = ["arm-unknown-linux-gnueabi"]\n',
    );
    expect(await refusal(dotted)).toContain(
      `Cargo.toml line ${lineOf(dotted.cargoToml, "arm-unknown")}: [package.metadata.rust-release] targets names "arm-unknown-linux-gnueabi"`,
    );
  });

  test.each([
    [[], "--targets is empty: list at least one target"],
    [
      ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"],
      '--targets lists "x86_64-unknown-linux-gnu" twice',
    ],
    [["x86_64-unknown-linux-gnu,aarch64"], '--targets names "x86_64-unknown-linux-gnu,aarch64"'],
  ])("the flag: %j", async (targets, message) => {
    expect(await refusal(single(), { targets })).toContain(message);
  });

  test("a target maturin cannot build the project's kind of wheel for", async () => {
    const choice = chooseTargets(["x86_64-unknown-linux-gnu", "s390x-unknown-linux-gnu"], null);
    // A future row without pyo3 wheels: the rule reads the row, not a list of triples.
    const binOnly = { ...findTarget("s390x-unknown-linux-gnu"), wheelBindings: ["bin"] as const };
    const selection = {
      ...selectTargets(choice, {}),
      targets: [findTarget("x86_64-unknown-linux-gnu"), binOnly],
    };
    const files = single();
    const manifest = readManifest(files);
    expect(() => planPython(manifest, parseTag("v0.1.5"), selection, files.pyproject)).toThrow(
      "--targets: maturin cannot build a pyo3 wheel for s390x-unknown-linux-gnu (it builds bin " +
        "there), and the release publishes a wheel for every target: leave the target out",
    );
  });
});
