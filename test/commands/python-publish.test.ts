import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PUBLISH_TOKEN_VARIABLE, uvPublishCommand } from "../../lib/commands/uv-publish.js";
import { scratchDir } from "../support/projects.js";
import { type FakePackageIndex, startFakePackageIndex } from "./fake-package-index.js";
import { type SyntheticDists, sha256Of, writeSyntheticDists } from "./python-dists.js";
import { failureOf, runArgv } from "./sample-binaries.js";

const TOKEN = "pypi-fake-token-for-tests";
// uv sends the token as the password of the user PyPI's tokens require.
const BASIC_AUTH = `Basic ${Buffer.from(`__token__:${TOKEN}`).toString("base64")}`;

const scratch = scratchDir("python-publish");

function dists(dir: string, payload: string): SyntheticDists {
  return {
    name: "sample-usage",
    dist: "sample_usage",
    version: "0.1.5rc1",
    tag: "py3-none-any",
    wheel: join(scratch.path, dir, "sample_usage-0.1.5rc1-py3-none-any.whl"),
    sdist: join(scratch.path, dir, "sample_usage-0.1.5rc1.tar.gz"),
    payload,
  };
}

describe("uvPublishCommand run by real uv against a local index that behaves like PyPI", () => {
  let index: FakePackageIndex;
  const first = dists("first", "");
  // The same file names with other bytes: what a rebuild of a published release produces.
  const rebuilt = dists("rebuilt", "# rebuilt\n");
  // The token reaches uv only through the environment, as the Dagger secret variable sets it.
  const env = { ...process.env, [PUBLISH_TOKEN_VARIABLE]: TOKEN, UV_NO_PROGRESS: "1" };

  function publish(files: string[]) {
    const argv = uvPublishCommand({
      publishUrl: index.publishUrl,
      checkUrl: index.checkUrl,
      files,
    });
    expect(argv.join(" ")).not.toContain(TOKEN);
    return runArgv(argv, { env });
  }

  beforeAll(async () => {
    index = await startFakePackageIndex();
    await runArgv(["mkdir", "-p", join(scratch.path, "first"), join(scratch.path, "rebuilt")]);
    await writeSyntheticDists(first);
    await writeSyntheticDists(rebuilt);
  });

  afterAll(async () => {
    await index?.close();
    scratch.remove();
  });

  test("uploads every file once, as __token__ with the token from the environment", async () => {
    await publish([first.wheel, first.sdist]);
    expect(index.uploads).toEqual([
      {
        authorization: BASIC_AUTH,
        fields: expect.objectContaining({
          ":action": "file_upload",
          name: "sample-usage",
          version: "0.1.5rc1",
          filetype: "bdist_wheel",
          sha256_digest: await sha256Of(first.wheel),
        }),
        filename: "sample_usage-0.1.5rc1-py3-none-any.whl",
        sha256: await sha256Of(first.wheel),
        status: 200,
      },
      {
        authorization: BASIC_AUTH,
        fields: expect.objectContaining({ filetype: "sdist" }),
        filename: "sample_usage-0.1.5rc1.tar.gz",
        sha256: await sha256Of(first.sdist),
        status: 200,
      },
    ]);
  });

  test("a re-run uploads nothing: the index has both files with the same hash", async () => {
    const before = index.uploads.length;
    const { stderr } = await publish([first.wheel, first.sdist]);
    expect(index.uploads.slice(before)).toEqual([]);
    expect(stderr).toContain(
      "File sample_usage-0.1.5rc1-py3-none-any.whl already exists, skipping",
    );
    expect(stderr).toContain("File sample_usage-0.1.5rc1.tar.gz already exists, skipping");
  });

  test("a rebuilt file under a published name is refused before it is uploaded", async () => {
    const before = index.uploads.length;
    const message = await failureOf(publish([rebuilt.wheel]));
    expect(message).toContain(
      "Local file and index file do not match for `sample_usage-0.1.5rc1-py3-none-any.whl`",
    );
    expect(index.uploads.slice(before)).toEqual([]);
  });
});
