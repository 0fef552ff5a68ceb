import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { GithubPublishError } from "../../lib/publishers/github/errors.js";
import { contentTypeFor, describeLocalAssets } from "../../lib/publishers/github/local-assets.js";
import { sha256 } from "./github-fixtures.js";

describe("contentTypeFor", () => {
  test.each([
    ["tool-x86_64-unknown-linux-gnu.tar.gz", "application/gzip"],
    ["tool-1.2.3.tgz", "application/gzip"],
    ["tool-x86_64-pc-windows-msvc.zip", "application/zip"],
    ["tool-1.2.3-cp39-abi3-win_amd64.whl", "application/zip"],
    ["SHA256SUMS", "text/plain"],
    ["tool.tar.gz.sha256", "text/plain"],
    ["tool-x86_64-unknown-linux-gnu", "application/octet-stream"],
    ["tool.exe", "application/octet-stream"],
  ])("%s is uploaded as %s", (name, type) => {
    expect(contentTypeFor(name)).toBe(type);
  });
});

describe("describeLocalAssets", () => {
  let directory = "";
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "local-assets-"));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test("hashes and sizes each file", async () => {
    const bytes = Buffer.from([0, 255, 128, 10]);
    await writeFile(join(directory, "a.zip"), bytes);
    const [asset] = await describeLocalAssets([{ name: "a.zip", path: join(directory, "a.zip") }]);
    expect(asset).toMatchObject({ size: 4, sha256: sha256(bytes), contentType: "application/zip" });
  });

  test.each([
    [["a b.zip"], 'Asset name "a b.zip" must use only'],
    [[".hidden"], 'Asset name ".hidden" must use only'],
    [["tool.zip."], 'Asset name "tool.zip." must use only'],
    [["a.zip", "a.zip"], 'Asset name "a.zip" is given twice'],
  ])("refuses the names %j", async (names, message) => {
    await writeFile(join(directory, "file"), "x");
    const assets = names.map((name) => ({ name, path: join(directory, "file") }));
    const error = await describeLocalAssets(assets).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubPublishError);
    expect((error as Error).message).toContain(message);
  });

  test("refuses a missing file", async () => {
    const assets = [{ name: "a.zip", path: join(directory, "missing.zip") }];
    const error = await describeLocalAssets(assets).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubPublishError);
    expect((error as Error).message).toContain(`Asset "a.zip": cannot read ${assets[0]?.path}`);
  });

  test("refuses a directory", async () => {
    const error = await describeLocalAssets([{ name: "d", path: directory }]).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain("must be a regular file under 2 GiB");
  });
});
