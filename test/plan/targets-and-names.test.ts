import { describe, expect, test } from "vitest";
import {
  githubRepositoryOf,
  imageRepository,
  imageTags,
  parseCommitSha,
  parseRepository,
} from "../../lib/plan/image-tags.js";
import { archiveName, binaryOutputPath, sdistName, wheelName } from "../../lib/plan/names.js";
import { findTarget } from "../../lib/plan/targets.js";
import { parseTag } from "../../lib/plan/version.js";

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
