import { posix } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { findTarget, TARGETS } from "../../src/plan/targets.js";
import { IMAGES } from "../../src/stages/images.js";
import { FakeGithubApi } from "../fakes/github-api.js";
import { FakeGithubOidc, FakePackageIndex } from "../fakes/pypi-api.js";
import { type ArgValue, ModuleUnderTest, secretArg } from "../harness/dagger-call.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";
import { isCompile } from "../support/execs.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const TAG = "v0.1.5";
const GITHUB_TOKEN = "ghs_ReleaseTokenSECRET";
const RUNNER_TOKEN = "runner-request-token-SECRET";
const REPOSITORY = "octo/sample-usage";
const PUBLISHER = { repository: REPOSITORY, workflowFile: "release.yml" };
const CLAIMS = {
  repository: REPOSITORY,
  ref: `refs/tags/${TAG}`,
  job_workflow_ref: `${REPOSITORY}/.github/workflows/release.yml@refs/tags/${TAG}`,
};
const ARCHIVES = TARGETS.map((t) => `sample-usage-${t.triple}.${t.archive}`);
const ASSETS = [...ARCHIVES, "SHA256SUMS"].sort();
const IMAGE_REFS = ["v0.1.5", "v0.1", "v0", "sha-0123456"].map(
  (t) => `ghcr.io/octo/sample-usage:${t}`,
);

const isUvPublish = (e: ExecRecord) => e.argv[0] === "uv" && e.argv[1] === "publish";
const isCheckBinary = (e: ExecRecord) => e.argv[2]?.includes("GLIBC") === true;

/** What a real build of a version would produce, with deterministic bytes for every artifact. */
function built(overrides: Answers = {}, version = "0.1.5"): Answers {
  return {
    entries: ({ path }) => {
      const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
      if (triple) {
        return [`sample_usage-${version}-cp38-abi3-${findTarget(triple).wheelPlatformTag}.whl`];
      }
      return path === "/sdist" ? [`sample_usage-${version}.tar.gz`] : undefined;
    },
    file: ({ path }) => `bytes of ${posix.basename(path)}`,
    exec: (e) =>
      e.argv.at(-1) === "--version" ? { stdout: `sample-usage ${version}\n` } : undefined,
    ...overrides,
  };
}

const mod = new ModuleUnderTest();
let github: FakeGithubApi;
let testPypi: FakePackageIndex;
let pypi: FakePackageIndex;
let oidc: FakeGithubOidc;

beforeAll(() => mod.start());
afterAll(() => mod.stop());

async function start(options: { tagCommit?: string; immutable?: boolean } = {}) {
  github = new FakeGithubApi({
    token: GITHUB_TOKEN,
    owner: "octo",
    repo: "sample-usage",
    tags: { [TAG]: options.tagCommit ?? SHA },
    immutableOnPublish: options.immutable ?? false,
  });
  await github.start();
  testPypi = await new FakePackageIndex({ audience: "testpypi", publishers: [PUBLISHER] }).start();
  pypi = await new FakePackageIndex({ publishers: [PUBLISHER] }).start();
  oidc = await new FakeGithubOidc({ requestToken: RUNNER_TOKEN, claims: CLAIMS }).start();
}

afterEach(async () => {
  await Promise.all([github?.stop(), testPypi?.stop(), pypi?.stop(), oidc?.stop()]);
});

/** The flags release.yml passes, pointed at the local fakes. */
function releaseArgs(extra: Record<string, ArgValue> = {}): Record<string, ArgValue> {
  return {
    tag: TAG,
    sha: SHA,
    repository: REPOSITORY,
    githubToken: secretArg("GITHUB_TOKEN", GITHUB_TOKEN),
    registryPassword: secretArg("GITHUB_TOKEN", GITHUB_TOKEN),
    oidcRequestUrl: secretArg("ACTIONS_ID_TOKEN_REQUEST_URL", oidc.requestUrl),
    oidcRequestToken: secretArg("ACTIONS_ID_TOKEN_REQUEST_TOKEN", RUNNER_TOKEN),
    githubApiUrl: github.apiUrl,
    testPypiUrl: testPypi.url,
    pypiUrl: pypi.url,
    ...extra,
  };
}

function secretsIn(text: string): string[] {
  const secrets = [GITHUB_TOKEN, RUNNER_TOKEN, ...oidc.issued, ...testPypi.minted, ...pypi.minted];
  return secrets.filter((secret) => text.includes(secret));
}

describe("dagger call release", () => {
  test("publishes in order: GitHub Release, image, TestPyPI, PyPI; reports every artifact", async () => {
    await start();
    const seen: string[] = [];
    const outcome = await mod.call("release", releaseArgs(), {
      answers: built({
        publish: (record) => {
          const release = github.releasesForTag(TAG)[0];
          seen.push(`image ${record.address} after release draft=${release?.draft}`);
        },
        exec: (e) => {
          if (isUvPublish(e)) {
            seen.push(
              `uv ${e.argv[e.argv.indexOf("--publish-url") + 1]} after ${mod.engine.model.publishes.length} pushes`,
            );
          }
          return e.argv.at(-1) === "--version" ? { stdout: "sample-usage 0.1.5\n" } : undefined;
        },
      }),
    });
    expect(outcome.error).toBeUndefined();
    expect(seen).toEqual([
      ...IMAGE_REFS.map((r) => `image ${r} after release draft=false`),
      `uv ${testPypi.url}/legacy/ after 4 pushes`,
      `uv ${pypi.url}/legacy/ after 4 pushes`,
    ]);

    const releases = github.releasesForTag(TAG);
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ draft: false, prerelease: false, makeLatest: "true" });
    expect(releases[0]?.assets.map((a) => a.name).sort()).toEqual(ASSETS);
    // Raw bytes of the exported artifacts, not text.
    const tarball = releases[0]?.assets.find((a) => a.name === ARCHIVES[0]);
    expect(tarball?.bytes.toString()).toBe(`bytes of ${ARCHIVES[0]}`);
    expect(tarball?.contentType).toBe("application/gzip");

    const report = String(outcome.value);
    for (const asset of ASSETS)
      expect(report).toMatch(new RegExp(`published\\s+${asset}\\s+sha256:`));
    for (const ref of IMAGE_REFS)
      expect(report).toMatch(new RegExp(`published\\s+${ref}\\s+sha256:`));
    expect(report).toContain("TestPyPI");
    expect(report.trim().endsWith("OK")).toBe(true);

    // Five compiles in all: the image and the archives share the same binaries.
    expect(outcome.model.execs.filter(isCompile)).toHaveLength(5);
    expect(outcome.model.execs.filter(isCheckBinary)).toHaveLength(5);
    const everything = [JSON.stringify(outcome.model), report, outcome.output].join("\n");
    expect(secretsIn(everything)).toEqual([]);
  });

  test("a failed check stops the release before anything is published", async () => {
    await start();
    const outcome = await mod.call("release", releaseArgs(), {
      answers: built({
        exec: (e) =>
          isCheckBinary(e) && e.argv[3]?.includes("aarch64-apple-darwin")
            ? {
                exitCode: 1,
                stderr: "aarch64-apple-darwin: expected Mach-O 64-bit arm64, found ELF",
              }
            : e.argv.at(-1) === "--version"
              ? { stdout: "sample-usage 0.1.5" }
              : undefined,
      }),
    });
    expect(outcome.error).toBe("aarch64-apple-darwin: expected Mach-O 64-bit arm64, found ELF");
    expect(github.writes()).toEqual([]);
    expect(outcome.model.publishes).toEqual([]);
    expect(outcome.model.execs.filter(isUvPublish)).toEqual([]);
    expect([...oidc.requests, ...testPypi.requests, ...pypi.requests]).toEqual([]);
  });

  test("--dry-run builds and checks everything, says what it would do, touches no API", async () => {
    await start();
    const outcome = await mod.call("release", releaseArgs({ dryRun: true }), { answers: built() });
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.execs.filter(isCompile)).toHaveLength(5);
    expect(outcome.model.execs.filter((e) => e.argv[0] === "maturin")).toHaveLength(6);
    expect(outcome.model.execs.some((e) => e.image === IMAGES.runtime)).toBe(true);
    expect(github.requests).toEqual([]);
    expect([...oidc.requests, ...testPypi.requests, ...pypi.requests]).toEqual([]);
    expect(outcome.model.publishes).toEqual([]);
    expect(outcome.model.execs.filter(isUvPublish)).toEqual([]);
    const report = String(outcome.value);
    expect(report.startsWith("Dry run: Release v0.1.5 of sample-usage")).toBe(true);
    for (const line of [...ASSETS, ...IMAGE_REFS, "sample_usage-0.1.5.tar.gz"]) {
      expect(report).toMatch(new RegExp(`would publish\\s+${line}`));
    }
  });

  test("a dry run needs no credentials at all (pull requests, forks)", async () => {
    await start();
    const outcome = await mod.call(
      "release",
      { tag: TAG, sha: SHA, repository: REPOSITORY, dryRun: true },
      { answers: built() },
    );
    expect(outcome.error).toBeUndefined();
    expect(String(outcome.value)).toContain("but no credentials were given");
  });

  test("README's command, `release --tag v0.1.0 --dry-run`, works with --tag alone", async () => {
    await start();
    const outcome = await mod.call(
      "release",
      { tag: "v0.1.0", dryRun: true },
      { answers: built({}, "0.1.0") },
    );
    expect(outcome.error).toBeUndefined();
    const report = String(outcome.value);
    // The repository comes from the sample's Cargo.toml; the commit is a marked placeholder.
    expect(report).toContain("Placeholder (dry run): commit 0000000: no --sha was given");
    expect(report).toMatch(/would publish\s+ghcr\.io\/example\/sample-usage:sha-0000000/);
    expect(report).toMatch(/would publish\s+ghcr\.io\/example\/sample-usage:v0\.1\.0/);
    const image = outcome.model.execs.find((e) => e.image === IMAGES.runtime);
    expect(image).toBeDefined();
    expect(github.requests).toEqual([]);
  });

  test("a real release still requires --sha: placeholders are for dry runs only", async () => {
    await start();
    const args = Object.fromEntries(Object.entries(releaseArgs()).filter(([k]) => k !== "sha"));
    const outcome = await mod.call("release", args, { answers: built() });
    expect(outcome.error).toContain("--sha is needed for the image's sha-<7> tag");
    expect(outcome.model.containers).toEqual([]);
  });

  test("--registry sends the image to another registry, with the same tags", async () => {
    await start();
    const outcome = await mod.call(
      "release",
      releaseArgs({ registry: "127.0.0.1:5000", registryUsername: "pusher", skipPypi: true }),
      { answers: built() },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.publishes.map((p) => p.address)).toEqual(
      IMAGE_REFS.map((ref) => ref.replace("ghcr.io", "127.0.0.1:5000")),
    );
    expect(outcome.model.publishes[0]?.registryAuth).toEqual([
      { address: "127.0.0.1:5000", username: "pusher", secret: "GITHUB_TOKEN" },
    ]);
  });

  test("re-running after a failed TestPyPI upload completes what is missing", async () => {
    await start();
    const failing = await mod.call("release", releaseArgs(), {
      answers: built({
        exec: (e) =>
          isUvPublish(e)
            ? {
                exitCode: 2,
                stderr: "error: Upload failed with status code 503 Service Unavailable",
              }
            : e.argv.at(-1) === "--version"
              ? { stdout: "sample-usage 0.1.5" }
              : undefined,
      }),
    });
    expect(failing.error).toMatch(/failed\s+-\s+.*503/);
    expect(failing.error).toMatch(/PyPI\n\s+skipped\s+-\s+TestPyPI failed first/);
    expect(pypi.requests).toEqual([]);

    const rerun = await mod.call("release", releaseArgs(), { answers: built() });
    expect(rerun.error).toBeUndefined();
    expect(github.releasesForTag(TAG)).toHaveLength(1);
    expect(github.releasesForTag(TAG)[0]?.assets).toHaveLength(ASSETS.length);
    const report = String(rerun.value);
    for (const asset of ASSETS) expect(report).toMatch(new RegExp(`already there\\s+${asset}`));
    expect(rerun.model.execs.filter(isUvPublish)).toHaveLength(2);
  });

  test("a prerelease is published as one and never made latest", async () => {
    await start();
    const outcome = await mod.call(
      "release",
      releaseArgs({ tag: "v1.0.0-rc.1", latestOnRelease: true, skipPypi: true }),
      {
        answers: built({
          exec: (e) =>
            e.argv.at(-1) === "--version" ? { stdout: "sample-usage 1.0.0-rc.1" } : undefined,
        }),
      },
    );
    expect(outcome.error).toBeUndefined();
    expect(github.releasesForTag("v1.0.0-rc.1")[0]).toMatchObject({
      draft: false,
      prerelease: true,
      makeLatest: "false",
    });
    expect(outcome.model.publishes.map((p) => p.address)).toEqual([
      "ghcr.io/octo/sample-usage:v1.0.0-rc.1",
      "ghcr.io/octo/sample-usage:sha-0123456",
    ]);
    expect(String(outcome.value)).toMatch(/PyPI\n\s+skipped\s+-\s+--skip-pypi/);
  });

  test("destinations can be switched off one by one", async () => {
    await start();
    const outcome = await mod.call(
      "release",
      {
        tag: TAG,
        sha: SHA,
        repository: REPOSITORY,
        skipGithub: true,
        skipImage: true,
        skipPypi: true,
      },
      { answers: built() },
    );
    expect(outcome.error).toBeUndefined();
    expect(github.requests).toEqual([]);
    expect(outcome.model.publishes).toEqual([]);
    expect(String(outcome.value).match(/skipped/g)).toHaveLength(3);
  });

  test.each([
    [{ tag: "v1.2" }, 'invalid tag "v1.2"'],
    [
      { githubToken: null },
      "publishing the GitHub Release needs --github-token env://GITHUB_TOKEN",
    ],
    [{ registryPassword: null }, "pushing the image needs --registry-password"],
    [{ oidcRequestUrl: null, oidcRequestToken: null }, "publishing to TestPyPI needs credentials"],
    [{ registry: "https://ghcr.io" }, 'invalid registry "https://ghcr.io"'],
  ])("%j fails before any container is created", async (change, message) => {
    await start();
    const args = Object.fromEntries(
      Object.entries(releaseArgs(change as Record<string, ArgValue>)).filter(([, v]) => v !== null),
    );
    const outcome = await mod.call("release", args, { answers: built() });
    expect(outcome.error).toContain(message);
    expect(outcome.model.containers).toEqual([]);
    expect(github.writes()).toEqual([]);
  });

  test("a tag that names another commit on GitHub stops the release before the build", async () => {
    await start({ tagCommit: "f".repeat(40) });
    const outcome = await mod.call("release", releaseArgs(), { answers: built() });
    expect(outcome.error).toContain(
      `tag v0.1.5 points at ${"f".repeat(40)} on GitHub, but --sha is ${SHA}`,
    );
    expect(outcome.model.containers).toEqual([]);
  });

  test("a published immutable release missing assets stops the release before the build", async () => {
    await start();
    await github.stop();
    github = new FakeGithubApi({
      token: GITHUB_TOKEN,
      owner: "octo",
      repo: "sample-usage",
      tags: { [TAG]: SHA },
      releases: [{ tag: TAG, immutable: true, assets: [{ name: "SHA256SUMS", content: "x" }] }],
    });
    await github.start();
    const outcome = await mod.call("release", releaseArgs(), { answers: built() });
    expect(outcome.error).toContain("published and immutable");
    expect(outcome.model.containers).toEqual([]);
    expect(github.writes()).toEqual([]);
  });
});
