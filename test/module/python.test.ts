import { createHash } from "node:crypto";
import { posix } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { checkDistCommand } from "../../lib/commands/check-dist.js";
import { maturinBuildCommand, maturinSdistCommand } from "../../lib/commands/maturin.js";
import { twineCheckCommand } from "../../lib/commands/twine.js";
import { DEFAULT_TARGETS, findTarget } from "../../lib/plan/targets.js";
import { IMAGES } from "../../lib/stages/images.js";
import { FakeGithubOidc, FakePackageIndex } from "../fakes/pypi-api.js";
import { type ArgValue, ModuleUnderTest, secretArg } from "../harness/dagger-call.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";
import { isCheckDist, isSmokeTest } from "../support/execs.js";

const REPOSITORY = "octo/sample-usage";
const RUNNER_TOKEN = "runner-request-token-SECRET";
const CLAIMS = {
  repository: REPOSITORY,
  repository_owner: "octo",
  ref: "refs/tags/v0.1.5",
  workflow_ref: `${REPOSITORY}/.github/workflows/release.yml@refs/tags/v0.1.5`,
  job_workflow_ref: `${REPOSITORY}/.github/workflows/release.yml@refs/tags/v0.1.5`,
};
const PUBLISHER = { repository: REPOSITORY, workflowFile: "release.yml" };

const wheelOf = (t: (typeof DEFAULT_TARGETS)[number], version = "0.1.5") =>
  `sample_usage-${version}-cp38-abi3-${t.wheelPlatformTag}.whl`;
const WHEELS = DEFAULT_TARGETS.map((t) => wheelOf(t));
const SDIST = "sample_usage-0.1.5.tar.gz";

/** What maturin "writes", and the CLI's --version, as a real build of 0.1.5 would. */
function built(version = "0.1.5", overrides: Answers = {}): Answers {
  const pep440 = version.replace("-rc.", "rc");
  return {
    entries: ({ path }) => {
      const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
      if (triple) return [wheelOf(findTarget(triple), pep440)];
      return path === "/sdist" ? [`sample_usage-${pep440}.tar.gz`] : undefined;
    },
    file: ({ path }) => `bytes of ${posix.basename(path)}`,
    exec: (e) =>
      e.argv.at(-1) === "--version" ? { stdout: `sample-usage ${version}` } : undefined,
    ...overrides,
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const isUvPublish = (e: ExecRecord) => e.argv[0] === "uv" && e.argv[1] === "publish";
const isMaturinBuild = (e: ExecRecord) => e.argv[0] === "maturin" && e.argv[1] === "build";

const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

describe("dagger call wheels / sdist / python-dist", () => {
  test.each(DEFAULT_TARGETS.map((t) => [t.triple]))(
    "wheels --target %s: maturin in the target's toolchain",
    async (triple) => {
      const target = findTarget(triple);
      const outcome = await mod.call(
        "wheels",
        { target: triple, tag: "v0.1.5" },
        { answers: built() },
      );
      expect(outcome.error).toBeUndefined();
      const builds = outcome.model.execs.filter(isMaturinBuild);
      expect(builds).toHaveLength(1);
      const build = builds[0] as ExecRecord;
      expect(build.argv).toEqual(maturinBuildCommand(target, `/wheels/${triple}`));
      expect(build.argv).toContain("--frozen");
      expect(build.image).toBe(target.toolchain === "zig" ? IMAGES.zigbuild : IMAGES.xwin);
      // The binaries' own target-directory cache (dependencies compile once per target), held
      // by one build at a time; the dependencies are the vendored ones.
      expect(build.mounts["/cargo-target"]).toEqual({
        type: "cache",
        key: `rust-release-sample-usage-target-${triple}`,
        sharing: "LOCKED",
      });
      expect(build.mounts["/vendored"]).toMatchObject({ type: "directory", readOnly: true });
      expect(build.contents["/.cargo/config.toml"]).toContain("/vendored");
      // The wheel's dates and SBOM come from it instead of the clock: the same wheel twice.
      expect(build.env.SOURCE_DATE_EPOCH).toBe("315532800");
      expect(build.env.CARGO_TARGET_X86_64_PC_WINDOWS_MSVC_RUSTFLAGS).toBe(
        target.os === "windows" ? "-C link-arg=/Brepro" : undefined,
      );
      expect(outcome.model.execs.map((e) => e.argv.join(" "))).toContain(
        "uv tool install maturin==1.16.0",
      );

      const wheel = `/dist/${wheelOf(target)}`;
      const checks = outcome.model.execs.filter(
        (e) => e.image === IMAGES.python && e.argv[0] === "python3",
      );
      expect(checks.map((e) => e.argv)).toContainEqual(
        checkDistCommand({
          version: "0.1.5",
          project: "sample-usage",
          wheels: [
            {
              path: wheel,
              platformTag: target.wheelPlatformTag,
              pythonTag: "cp38",
              abiTag: "abi3",
              executables: [],
            },
          ],
          sdist: null,
        }),
      );
      expect(outcome.model.execs.map((e) => e.argv)).toContainEqual(twineCheckCommand([wheel]));
      // Only a wheel the engine runs natively is installed and run.
      const smoke = outcome.model.execs.filter(isSmokeTest);
      expect(smoke.map((e) => e.platform)).toEqual(
        triple === "x86_64-unknown-linux-gnu" ? ["linux/amd64"] : [],
      );
    },
  );

  test("python-dist: five wheels and the sdist, checked together, one smoke test", async () => {
    const outcome = await mod.call(
      "pythonDist",
      { tag: "v1.0.0-rc.1" },
      { answers: built("1.0.0-rc.1") },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.execs.filter(isMaturinBuild)).toHaveLength(5);
    expect(outcome.model.execs.map((e) => e.argv)).toContainEqual(maturinSdistCommand("/sdist"));
    const check = outcome.model.execs.find(isCheckDist);
    const spec = JSON.parse(check?.argv[2] as string);
    expect(spec.version).toBe("1.0.0rc1");
    expect(spec.wheels.map((w: { path: string }) => w.path)).toEqual(
      DEFAULT_TARGETS.map((t) => `/dist/${wheelOf(t, "1.0.0rc1")}`),
    );
    expect(spec.sdist).toEqual({ path: "/dist/sample_usage-1.0.0rc1.tar.gz" });
    const smoke = outcome.model.execs.filter(isSmokeTest);
    expect(smoke).toHaveLength(1);
    // The console script prints Cargo's version, not PEP 440's.
    expect(JSON.parse(smoke[0]?.argv[2] as string)).toMatchObject({
      importName: "sample_usage",
      script: "sample-usage",
      version: "1.0.0-rc.1",
    });
  });

  test("a wheel with the wrong tags fails the call with the check's message", async () => {
    const message =
      "sample_usage-0.1.5-cp38-abi3-win_amd64.whl: platform tag win32, expected win_amd64";
    const outcome = await mod.call(
      "wheels",
      { target: "x86_64-pc-windows-msvc", tag: "v0.1.5" },
      {
        answers: built("0.1.5", {
          exec: (e) => (isCheckDist(e) ? { exitCode: 1, stderr: message } : undefined),
        }),
      },
    );
    expect(outcome.error).toBe(message);
  });

  test("sdist: maturin sdist outside the crate, checked", async () => {
    const outcome = await mod.call("sdist", { tag: "v0.1.5" }, { answers: built() });
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.execs.filter(isMaturinBuild)).toEqual([]);
    expect(outcome.model.execs.map((e) => e.argv)).toContainEqual(
      twineCheckCommand([`/dist/${SDIST}`]),
    );
  });
});

describe("dagger call publish-python", () => {
  let testPypi: FakePackageIndex;
  let pypi: FakePackageIndex;
  let oidc: FakeGithubOidc;

  async function start(
    options: { testFiles?: Record<string, string>; pypiFiles?: Record<string, string> } = {},
  ) {
    const release = (files: Record<string, string>) => [
      {
        project: "sample-usage",
        version: "0.1.5",
        files: Object.entries(files).map(([filename, sha]) => ({ filename, sha256: sha })),
      },
    ];
    testPypi = await new FakePackageIndex({
      audience: "testpypi",
      publishers: [PUBLISHER],
      releases: options.testFiles ? release(options.testFiles) : [],
    }).start();
    pypi = await new FakePackageIndex({
      publishers: [PUBLISHER],
      releases: options.pypiFiles ? release(options.pypiFiles) : [],
    }).start();
    oidc = await new FakeGithubOidc({ requestToken: RUNNER_TOKEN, claims: CLAIMS }).start();
  }

  afterEach(async () => {
    await Promise.all([testPypi?.stop(), pypi?.stop(), oidc?.stop()]);
  });

  function trusted(): Record<string, ArgValue> {
    return {
      tag: "v0.1.5",
      oidcRequestUrl: secretArg("ACTIONS_ID_TOKEN_REQUEST_URL", oidc.requestUrl),
      oidcRequestToken: secretArg("ACTIONS_ID_TOKEN_REQUEST_TOKEN", RUNNER_TOKEN),
      testPypiUrl: testPypi.url,
      pypiUrl: pypi.url,
      // No Sigstore runs here: signing is tested in release-provenance.test.ts.
      skipAttestations: true,
    };
  }

  test("trusted publishing: TestPyPI, then PyPI, tokens minted in the call and passed as secrets", async () => {
    await start();
    const outcome = await mod.call("publishPython", trusted(), { answers: built() });
    expect(outcome.error).toBeUndefined();
    const uploads = outcome.model.execs.filter(isUvPublish);
    expect(uploads.map((e) => e.argv[e.argv.indexOf("--publish-url") + 1])).toEqual([
      `${testPypi.url}/legacy/`,
      `${pypi.url}/legacy/`,
    ]);
    for (const upload of uploads) {
      expect(upload.argv.slice(-6)).toEqual([...WHEELS, SDIST].map((f) => `/upload/${f}`));
      expect(Object.keys(upload.secretEnv)).toEqual(["UV_PUBLISH_TOKEN"]);
      expect(upload.argv).toContain("--check-url");
    }
    expect(oidc.requests.map((r) => r.query.audience)).toEqual(["testpypi", "pypi"]);
    expect(testPypi.minted).toHaveLength(1);
    expect(pypi.minted).toHaveLength(1);
    const everything = [JSON.stringify(outcome.model), String(outcome.value), outcome.output].join(
      "\n",
    );
    for (const secret of [RUNNER_TOKEN, ...testPypi.minted, ...pypi.minted, ...oidc.issued]) {
      expect(everything).not.toContain(secret);
    }
    const report = String(outcome.value);
    expect(report).toMatch(
      new RegExp(`TestPyPI \\(.*\\)\\n  published  ${WHEELS[0]}  sha256:[0-9a-f]{64}`),
    );
    expect(report.trim().endsWith("OK")).toBe(true);
  });

  test("TestPyPI failing leaves PyPI untouched", async () => {
    await start();
    const outcome = await mod.call("publishPython", trusted(), {
      answers: built("0.1.5", {
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
    expect(outcome.error).toContain("failed");
    expect(outcome.error).toMatch(/\nPyPI \(.*\)\n\s+skipped\s+-\s+TestPyPI failed first/);
    expect(outcome.model.execs.filter(isUvPublish)).toHaveLength(1);
    expect(pypi.requests).toEqual([]);
  });

  test("a re-run skips files already there with the same hash and uploads the rest", async () => {
    const same = Object.fromEntries(WHEELS.slice(0, 3).map((w) => [w, sha256(`bytes of ${w}`)]));
    await start({
      testFiles: same,
      pypiFiles: Object.fromEntries([...WHEELS, SDIST].map((f) => [f, sha256(`bytes of ${f}`)])),
    });
    const outcome = await mod.call("publishPython", trusted(), { answers: built() });
    expect(outcome.error).toBeUndefined();
    const uploads = outcome.model.execs.filter(isUvPublish);
    // PyPI had everything: one upload, to TestPyPI, of what it lacked.
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.argv.slice(-3)).toEqual(
      [...WHEELS.slice(3), SDIST].map((f) => `/upload/${f}`),
    );
    expect(pypi.minted).toEqual([]);
    expect(String(outcome.value)).toContain(`already there  ${WHEELS[0]}`);
  });

  test("a file of the same name with different content stops the publish, naming it", async () => {
    await start({ testFiles: { [SDIST]: "0".repeat(64) } });
    const outcome = await mod.call("publishPython", trusted(), { answers: built() });
    expect(outcome.error).toContain(SDIST);
    expect(outcome.error).toContain("never accepts a changed file");
    expect(outcome.model.execs.filter(isUvPublish)).toEqual([]);
    expect(pypi.requests).toEqual([]);
  });

  test("invalid-publisher says what PyPI must be configured with", async () => {
    await start();
    testPypi.publishers.splice(0);
    const outcome = await mod.call("publishPython", trusted(), { answers: built() });
    expect(outcome.error).toContain("release.yml");
    expect(outcome.error).toContain("TestPyPI");
    expect(outcome.model.execs.filter(isUvPublish)).toEqual([]);
  });

  test("API tokens as secrets are the fallback, one per index", async () => {
    await start();
    const outcome = await mod.call(
      "publishPython",
      {
        tag: "v0.1.5",
        testPypiToken: secretArg("TEST_PYPI_TOKEN", "pypi-test-SECRET"),
        pypiToken: secretArg("PYPI_TOKEN", "pypi-prod-SECRET"),
        testPypiUrl: testPypi.url,
        pypiUrl: pypi.url,
      },
      { answers: built() },
    );
    expect(outcome.error).toBeUndefined();
    expect(
      outcome.model.execs.filter(isUvPublish).map((e) => e.secretEnv.UV_PUBLISH_TOKEN),
    ).toEqual(["TEST_PYPI_TOKEN", "PYPI_TOKEN"]);
    expect(oidc.requests).toEqual([]);
    expect(JSON.stringify(outcome.model)).not.toContain("SECRET");
  });

  test("--dry-run builds and checks everything, lists the uploads, and touches no index", async () => {
    await start();
    const outcome = await mod.call(
      "publishPython",
      { ...trusted(), dryRun: true },
      { answers: built() },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.execs.filter(isMaturinBuild)).toHaveLength(5);
    expect(outcome.model.execs.filter(isUvPublish)).toEqual([]);
    expect([...testPypi.requests, ...pypi.requests, ...oidc.requests]).toEqual([]);
    expect(String(outcome.value)).toContain(`would publish  ${SDIST}  with trusted publishing`);
  });

  test.each([
    [{ tag: "v0.1.5" }, "publishing to TestPyPI needs credentials"],
    [{ tag: "v0.1.5", skipTestPypi: true }, "publishing to PyPI needs credentials"],
    [
      { tag: "v0.1.5", oidcRequestToken: secretArg("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "x") },
      "--oidc-request-url and --oidc-request-token go together",
    ],
    [{ tag: "0.1.5" }, 'invalid tag "0.1.5"'],
  ])("%j fails before any build", async (args, message) => {
    const outcome = await mod.call("publishPython", args as Record<string, ArgValue>, {
      answers: built(),
    });
    expect(outcome.error).toContain(message);
    expect(outcome.model.containers).toEqual([]);
  });
});
