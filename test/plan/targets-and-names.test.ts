import { describe, expect, test } from "vitest";
import {
  githubRepositoryOf,
  imageRepository,
  imageTags,
  parseCommitSha,
  parseRepository,
} from "../../src/plan/image-tags.js";
import { archiveName, binaryOutputPath, sdistName, wheelName } from "../../src/plan/names.js";
import { findTarget, TARGET_TRIPLES, TARGETS, targetForPlatform } from "../../src/plan/targets.js";
import { parseTag } from "../../src/plan/version.js";

describe("the targets table", () => {
  test("holds the five release targets, each once", () => {
    expect(TARGET_TRIPLES).toEqual([
      "x86_64-unknown-linux-gnu",
      "aarch64-unknown-linux-gnu",
      "x86_64-apple-darwin",
      "aarch64-apple-darwin",
      "x86_64-pc-windows-msvc",
    ]);
  });

  test.each(TARGETS.map((t) => [t.triple, t] as const))("%s is self-consistent", (triple, t) => {
    expect(triple.startsWith(t.arch)).toBe(true);
    expect(t.archiveFormat).toBe(t.os === "windows" ? "zip" : "tar.gz");
    expect(t.exeSuffix).toBe(t.os === "windows" ? ".exe" : "");
    expect(t.toolchain).toBe(t.os === "windows" ? "xwin" : "zig");
    // Only Linux gnu builds carry the glibc floor, and only in what zigbuild is given.
    expect(t.buildTarget).toBe(t.os === "linux" ? `${triple}.2.17` : triple);
    expect(t.glibcFloor).toBe(t.os === "linux" ? "2.17" : null);
    expect(t.platform).toBe(
      t.os === "linux" ? (t.arch === "x86_64" ? "linux/amd64" : "linux/arm64") : null,
    );
  });

  test("an unknown target is refused with the list of valid ones", () => {
    expect(() => findTarget("riscv64gc-unknown-linux-gnu")).toThrow(
      'unknown target "riscv64gc-unknown-linux-gnu": choose one of x86_64-unknown-linux-gnu, ' +
        "aarch64-unknown-linux-gnu, x86_64-apple-darwin, aarch64-apple-darwin, x86_64-pc-windows-msvc",
    );
    expect(findTarget("aarch64-apple-darwin").wheelPlatformTag).toBe("macosx_11_0_arm64");
  });

  test("container platforms map to the Linux targets", () => {
    expect(targetForPlatform("linux/arm64").triple).toBe("aarch64-unknown-linux-gnu");
    expect(() => targetForPlatform("linux/riscv64")).toThrow(
      'unsupported platform "linux/riscv64": the image is built for linux/amd64 and linux/arm64',
    );
  });
});

describe("artifact names", () => {
  const linux = findTarget("x86_64-unknown-linux-gnu");
  const windows = findTarget("x86_64-pc-windows-msvc");

  test("archives keep the seed's names", () => {
    expect(archiveName("codex-usage", linux)).toBe("codex-usage-x86_64-unknown-linux-gnu.tar.gz");
    expect(archiveName("codex-usage", windows)).toBe("codex-usage-x86_64-pc-windows-msvc.zip");
    expect(binaryOutputPath("codex-usage", windows)).toBe(
      "x86_64-pc-windows-msvc/release/codex-usage.exe",
    );
  });

  test("wheels and sdists use the normalised distribution name and PEP 440 version", () => {
    expect(wheelName("codex_usage", "1.0.0rc1", { python: "cp38", abi: "abi3" }, linux)).toBe(
      "codex_usage-1.0.0rc1-cp38-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    );
    expect(sdistName("codex_usage", "0.1.5")).toBe("codex_usage-0.1.5.tar.gz");
  });
});

describe("image references and tags", () => {
  const sha = "ABCDEF0123456789abcdef0123456789abcdef01";

  test("owner and name are lowercased; the name can be overridden", () => {
    const repo = parseRepository("Octo-Org/Codex-Usage");
    expect(imageRepository(repo)).toBe("ghcr.io/octo-org/codex-usage");
    expect(imageRepository(repo, "cli")).toBe("ghcr.io/octo-org/cli");
    expect(() => imageRepository(repo, "bad name")).toThrow('invalid image name "bad name"');
  });

  test.each([
    [
      "stable release",
      { kind: "release", version: parseTag("v0.1.5") },
      false,
      ["v0.1.5", "v0.1", "v0", "sha-abcdef0"],
    ],
    [
      "stable release, latest moved on release",
      { kind: "release", version: parseTag("v0.1.5") },
      true,
      ["v0.1.5", "v0.1", "v0", "latest", "sha-abcdef0"],
    ],
    [
      "prerelease",
      { kind: "release", version: parseTag("v1.0.0-rc.1") },
      true,
      ["v1.0.0-rc.1", "sha-abcdef0"],
    ],
    ["main branch", { kind: "main" }, false, ["latest", "sha-abcdef0"]],
  ] as const)("%s", (_name, channel, latestOnRelease, tags) => {
    expect(imageTags(channel, { shortSha: parseCommitSha(sha).short, latestOnRelease })).toEqual(
      tags,
    );
  });

  test("a main-branch image without a commit is refused", () => {
    expect(() => imageTags({ kind: "main" }, { shortSha: null, latestOnRelease: false })).toThrow(
      "a main-branch image needs the commit (--sha) for its sha-<7> tag",
    );
  });

  test.each([
    ["owner", 'invalid repository "owner": expected owner/name'],
    ["a/b/c", 'invalid repository "a/b/c"'],
    ["-bad/x", 'invalid repository "-bad/x"'],
  ])("refuses repository %j", (value, message) => {
    expect(() => parseRepository(value)).toThrow(message);
  });

  test.each(["abc1234", "z".repeat(40), ""])("refuses commit %j", (value) => {
    expect(() => parseCommitSha(value)).toThrow(`invalid commit sha "${value}"`);
  });
});

test("macOS deployment targets agree with the wheel tags maturin derives from them", () => {
  for (const t of TARGETS) {
    const tag = /^macosx_(\d+)_(\d+)_/.exec(t.wheelPlatformTag);
    expect(t.macosDeploymentTarget).toBe(tag ? `${tag[1]}.${tag[2]}` : null);
  }
});

test.each([
  ["https://github.com/octo/codex-usage", "octo/codex-usage"],
  ["https://github.com/octo/codex-usage.git", "octo/codex-usage"],
  ["https://github.com/octo/codex-usage/", "octo/codex-usage"],
  ["https://gitlab.com/octo/codex-usage", null],
  ["https://github.com/octo", null],
  [null, null],
])("Cargo's repository %j names the GitHub repository %j", (url, repository) => {
  expect(githubRepositoryOf(url)).toBe(repository);
});
