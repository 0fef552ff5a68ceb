import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { IMAGES } from "../../lib/stages/images.js";
import { ModuleUnderTest, secretArg } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { flagValue, isBinaryCheck, isCompile } from "../support/execs.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

/** The sample CLI's answer to --version, at whatever version the source was patched to. */
function cli(version: string) {
  return {
    exec: (e: ExecRecord) =>
      e.argv.at(-1) === "--version" ? { stdout: `sample-usage ${version}\n` } : undefined,
  };
}

describe("dagger call image", () => {
  test.each([
    ["linux/amd64", "x86_64-unknown-linux-gnu"],
    ["linux/arm64", "aarch64-unknown-linux-gnu"],
  ])(
    "%s: the %s release binary on the pinned base, non-root, labelled",
    async (platform, triple) => {
      const outcome = await mod.call(
        "image",
        { platform, tag: "v0.1.5", sha: SHA, repository: "Octo/Sample-Usage" },
        { module: { sourceDateEpoch: 1_700_000_000 }, answers: cli("0.1.5") },
      );
      expect(outcome.error).toBeUndefined();
      expect(outcome.returned?.kind).toBe("Container");
      const image = mod.engine.evaluator.summary(outcome.returned as never);
      expect(image.platform).toBe(platform);
      expect(image.image).toBe(IMAGES.runtime);
      expect(image.user).toBe("nonroot");
      expect(image.entrypoint).toEqual(["/usr/local/bin/sample-usage"]);
      // The build's binary, which the image can only get through its check, in one layer
      // dated by the source, not by this build.
      const binary = mod.engine.evaluator.containerFileSource(
        outcome.returned as never,
        "/usr/local/bin/sample-usage",
      );
      expect(binary).toMatchObject({
        describe: `container(linux/amd64 ${IMAGES.zigbuild}):/out/sample-usage`,
        mtime: 1_700_000_000,
      });
      expect(Object.keys(image.contents)).toEqual(["/"]);
      const checks = outcome.model.execs.filter(isBinaryCheck);
      expect(checks.map((e) => JSON.parse(e.argv[2] as string).target)).toEqual([triple]);
      expect(image.labels).toEqual({
        "org.opencontainers.image.source": "https://github.com/Octo/Sample-Usage",
        "org.opencontainers.image.revision": SHA,
        "org.opencontainers.image.version": "0.1.5",
        "org.opencontainers.image.created": "2023-11-14T22:13:20.000Z",
        "org.opencontainers.image.title": "sample-usage",
        "org.opencontainers.image.description":
          "Sum token usage records per model: the release pipeline's sample CLI with PyO3 bindings",
        "org.opencontainers.image.licenses": "MIT",
      });
      expect(image.execs).toEqual([]);
      // Compiled on the engine's platform; nothing ran on the image's.
      const cargo = outcome.model.execs.filter(isCompile);
      expect(cargo.map((e) => e.platform)).toEqual(["linux/amd64"]);
      expect(flagValue(cargo[0] as ExecRecord, "--target")).toBe(`${triple}.2.17`);
      expect(outcome.model.execs.filter((e) => e.platform === "linux/arm64")).toEqual([]);
    },
  );

  test("an unsupported platform fails clearly and builds nothing", async () => {
    const outcome = await mod.call("image", { platform: "linux/riscv64" });
    expect(outcome.error).toBe(
      'unsupported platform "linux/riscv64": this release\'s image is built for linux/amd64, ' +
        "linux/arm64, from its Linux targets (the default)",
    );
    expect(outcome.model.containers).toEqual([]);
  });
});

describe("dagger call publish-image", () => {
  const password = secretArg("GITHUB_TOKEN", "ghs_TopSecretValue");

  test.each([
    ["a stable release", { tag: "v0.1.5" }, ["v0.1.5", "v0.1", "v0", "sha-0123456"]],
    [
      "a stable release that moves latest",
      { tag: "v0.1.5", latestOnRelease: true },
      ["v0.1.5", "v0.1", "v0", "latest", "sha-0123456"],
    ],
    ["a prerelease", { tag: "v1.0.0-rc.1", latestOnRelease: true }, ["v1.0.0-rc.1", "sha-0123456"]],
    ["a main-branch build", {}, ["latest", "sha-0123456"]],
  ])("%s pushes both platforms under the plan's tags", async (_name, args, tags) => {
    const version = "tag" in args ? (args.tag as string).slice(1) : "0.1.0";
    const outcome = await mod.call(
      "publishImage",
      { repository: "Octo/Sample-Usage", sha: SHA, registryPassword: password, ...args },
      { answers: cli(version) },
    );
    expect(outcome.error).toBeUndefined();
    const refs = tags.map((t) => `ghcr.io/octo/sample-usage:${t}`);
    expect(outcome.model.publishes.map((p) => p.address)).toEqual(refs);
    for (const publish of outcome.model.publishes) {
      expect(publish.platforms).toEqual(["linux/amd64", "linux/arm64"]);
      expect(publish.registryAuth).toEqual([
        { address: "ghcr.io", username: "Octo", secret: "GITHUB_TOKEN" },
      ]);
      expect(publish.variants.map((v) => v.labels["org.opencontainers.image.version"])).toEqual([
        version,
        version,
      ]);
    }
    const digest = outcome.model.publishes[0]?.digest;
    expect(outcome.value).toEqual(refs.map((r) => `${r}@${digest}`));
    // The native image ran its entrypoint once; the arm64 one never ran.
    const smoke = outcome.model.execs.filter((e) => e.image === IMAGES.runtime);
    expect(smoke.map((e) => [e.platform, e.argv, e.user])).toEqual([
      ["linux/amd64", ["/usr/local/bin/sample-usage", "--version"], "nonroot"],
    ]);
    // Credentials only as a Secret, by name; the value is nowhere.
    for (const text of [
      JSON.stringify(outcome.model),
      JSON.stringify(outcome.value),
      outcome.output,
    ]) {
      expect(text).not.toContain("ghs_TopSecretValue");
    }
    expect(
      outcome.model.execs.some((e) => Object.keys(e.env).some((k) => /TOKEN|PASSWORD/.test(k))),
    ).toBe(false);
  });

  test("--dry-run builds and checks both images and pushes nothing", async () => {
    const outcome = await mod.call(
      "publishImage",
      { repository: "octo/sample-usage", sha: SHA, tag: "v0.1.5", dryRun: true },
      { answers: cli("0.1.5") },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.publishes).toEqual([]);
    expect(outcome.value).toEqual(
      ["v0.1.5", "v0.1", "v0", "sha-0123456"].map(
        (t) => `ghcr.io/octo/sample-usage:${t} (dry run: not pushed)`,
      ),
    );
    expect(outcome.model.execs.filter(isCompile)).toHaveLength(2);
  });

  test.each([
    [{ sha: SHA }, "needs --registry-password"],
    [{ sha: "abc", registryPassword: password }, 'invalid commit sha "abc"'],
    [{ sha: SHA, tag: "v1", registryPassword: password }, 'invalid tag "v1"'],
  ])("bad input %j fails before any build", async (args, message) => {
    const outcome = await mod.call("publishImage", { repository: "octo/sample-usage", ...args });
    expect(outcome.error).toContain(message);
    expect(outcome.model.containers).toEqual([]);
    expect(outcome.model.publishes).toEqual([]);
  });

  test("a binary the base image cannot run stops the publish", async () => {
    const outcome = await mod.call(
      "publishImage",
      { repository: "octo/sample-usage", sha: SHA, registryPassword: password },
      {
        answers: {
          exec: (e) =>
            e.image === IMAGES.runtime
              ? {
                  exitCode: 127,
                  stderr:
                    "exec /usr/local/bin/sample-usage: no such file or directory (GLIBC_2.39 not found)",
                }
              : e.argv.at(-1) === "--version"
                ? { stdout: "sample-usage 0.1.0" }
                : undefined,
        },
      },
    );
    expect(outcome.error).toContain("the image cannot run its binary");
    expect(outcome.model.publishes).toEqual([]);
  });
});
