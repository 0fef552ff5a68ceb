import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { IMAGES } from "../../lib/stages/images.js";
import { type ArgValue, ModuleUnderTest } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { isChecksumStep, isCompile, isMaturin, isSbomStep, scriptSpec } from "../support/execs.js";
import {
  ARCHIVES,
  ASSETS,
  built,
  builtAndUploaded,
  bytesOf,
  IMAGE_REFS,
  isCheckBinary,
  isUvPublish,
  MANIFEST,
  REPOSITORY,
  ReleaseServices,
  SBOMS,
  SDIST,
  SHA,
  STAGED,
  sha256,
  TAG,
  WHEELS,
} from "../support/release-scenario.js";

const mod = new ModuleUnderTest();
let services: ReleaseServices;

beforeAll(() => mod.start());
afterAll(() => mod.stop());

async function start(options: ConstructorParameters<typeof ReleaseServices>[0] = {}) {
  services = await new ReleaseServices(options).start();
  return services;
}

afterEach(() => services?.stop());

describe("dagger call release", () => {
  test("stages every file and the manifest on a draft, publishes image, TestPyPI, PyPI, then the release", async () => {
    const { github, testPypi, pypi } = await start();
    const seen: string[] = [];
    const draftHolds = () => {
      const release = github.releasesForTag(TAG)[0];
      return `draft=${release?.draft} holding ${release?.assets.length ?? 0}/${STAGED.length}`;
    };
    const answers = builtAndUploaded(services, {
      publish: (record) => {
        seen.push(`image ${record.address}: ${draftHolds()}`);
        return undefined;
      },
    });
    const outcome = await mod.call("release", services.args(), {
      answers: {
        ...answers,
        exec: (e) => {
          if (isUvPublish(e)) {
            seen.push(`uv ${e.argv[e.argv.indexOf("--publish-url") + 1]}: ${draftHolds()}`);
          }
          return answers.exec?.(e);
        },
      },
    });
    expect(outcome.error).toBeUndefined();
    // No destination sees a byte before the draft holds everything; the release goes public last.
    expect(seen).toEqual([
      ...IMAGE_REFS.map((r) => `image ${r}: draft=true holding ${STAGED.length}/${STAGED.length}`),
      `uv ${testPypi.url}/legacy/: draft=true holding ${STAGED.length}/${STAGED.length}`,
      `uv ${pypi.url}/legacy/: draft=true holding ${STAGED.length}/${STAGED.length}`,
    ]);
    const [release, ...others] = github.releasesForTag(TAG);
    expect(others).toEqual([]);
    expect(release).toMatchObject({ draft: false, prerelease: false, makeLatest: "true" });
    expect(release?.assets.map((a) => a.name).sort()).toEqual(STAGED);
    // The manifest went up last, once every file was verified.
    expect(release?.assets.at(-1)?.name).toBe(MANIFEST);

    // Raw bytes of the exported artifacts, not text.
    const tarball = release?.assets.find((a) => a.name === ARCHIVES[0]);
    expect(tarball?.bytes.toString()).toBe(bytesOf(ARCHIVES[0] as string));
    expect(tarball?.contentType).toBe("application/gzip");

    // The manifest: what the release is, file by file.
    const manifest = JSON.parse(
      release?.assets.find((a) => a.name === MANIFEST)?.bytes.toString() ?? "{}",
    );
    expect(manifest).toMatchObject({
      schema: 1,
      tag: TAG,
      version: { cargo: "0.1.5", pep440: "0.1.5" },
      commit: SHA,
      project: { package: "sample-usage", repository: REPOSITORY },
      image: { references: IMAGE_REFS, platforms: ["linux/amd64", "linux/arm64"] },
      python: { project: "sample-usage", version: "0.1.5" },
    });
    expect(manifest.files).toContainEqual({
      name: ARCHIVES[0],
      sha256: sha256(bytesOf(ARCHIVES[0] as string)),
      size: bytesOf(ARCHIVES[0] as string).length,
      kind: "archive",
      target: "x86_64-unknown-linux-gnu",
    });
    // Each archive's SBOM is a staged file of its own kind, for the archive's target.
    expect(manifest.files).toContainEqual({
      name: SBOMS[0],
      sha256: sha256(bytesOf(SBOMS[0] as string)),
      size: Buffer.byteLength(bytesOf(SBOMS[0] as string)),
      kind: "sbom",
      target: "x86_64-unknown-linux-gnu",
    });
    expect(manifest.files.map((f: { name: string }) => f.name).sort()).toEqual(
      [...ASSETS, ...WHEELS, SDIST].sort(),
    );
    // SHA256SUMS covers the SBOMs too.
    const sums = outcome.model.execs.find(isChecksumStep);
    expect(
      (scriptSpec(sums as ExecRecord).files as { name: string }[]).map((f) => f.name).sort(),
    ).toEqual([...ARCHIVES, ...SBOMS].sort());

    const report = String(outcome.value);
    for (const file of STAGED) expect(report).toMatch(new RegExp(`staged\\s+${file}\\s`));
    for (const ref of IMAGE_REFS)
      expect(report).toMatch(new RegExp(`published\\s+${ref}\\s+sha256:`));
    expect(report).toMatch(
      /GitHub Release octo\/sample-usage v0\.1\.5\n\s+published\s+v0\.1\.5\s+draft -> public, make_latest true/,
    );
    expect(report).toContain(`Staged manifest (${MANIFEST}`);
    expect(report.trim().endsWith("OK")).toBe(true);

    // Five compiles in all: the image and the archives share the same binaries.
    expect(outcome.model.execs.filter(isCompile)).toHaveLength(5);
    expect(outcome.model.execs.filter(isCheckBinary)).toHaveLength(5);
    const everything = [JSON.stringify(outcome.model), report, outcome.output].join("\n");
    expect(services.secretsIn(everything)).toEqual([]);
  });

  test("a failed check stops the release before anything is staged or published", async () => {
    const { github, oidc, testPypi, pypi } = await start();
    const outcome = await mod.call("release", services.args(), {
      answers: built({
        exec: (e) =>
          isCheckBinary(e) && e.argv[2]?.includes("aarch64-apple-darwin")
            ? {
                exitCode: 1,
                stderr: "aarch64-apple-darwin: expected Mach-O 64-bit arm64, found ELF",
              }
            : built().exec?.(e),
      }),
    });
    expect(outcome.error).toBe("aarch64-apple-darwin: expected Mach-O 64-bit arm64, found ELF");
    expect(github.writes()).toEqual([]);
    expect(outcome.model.publishes).toEqual([]);
    expect(outcome.model.execs.filter(isUvPublish)).toEqual([]);
    expect([...oidc.requests, ...testPypi.requests, ...pypi.requests]).toEqual([]);
  });

  test("--dry-run builds and checks everything, shows what it would stage and publish, touches no API", async () => {
    const { github, oidc, testPypi, pypi } = await start();
    const outcome = await mod.call("release", services.args({ dryRun: true }), {
      answers: built(),
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.model.execs.filter(isCompile)).toHaveLength(5);
    expect(outcome.model.execs.filter(isMaturin)).toHaveLength(6);
    expect(outcome.model.execs.some((e) => e.image === IMAGES.runtime)).toBe(true);
    expect(github.requests).toEqual([]);
    expect([...oidc.requests, ...testPypi.requests, ...pypi.requests]).toEqual([]);
    expect(outcome.model.publishes).toEqual([]);
    expect(outcome.model.execs.filter(isUvPublish)).toEqual([]);
    const report = String(outcome.value);
    expect(report.startsWith("Dry run: Release v0.1.5 of sample-usage")).toBe(true);
    for (const file of STAGED) expect(report).toMatch(new RegExp(`would stage\\s+${file}`));
    expect(report).toMatch(
      new RegExp(
        `would stage\\s+${ARCHIVES[0]}\\s+archive x86_64-unknown-linux-gnu\\s+sha256:${sha256(bytesOf(ARCHIVES[0] as string))}`,
      ),
    );
    for (const line of [...IMAGE_REFS, SDIST])
      expect(report).toMatch(new RegExp(`would publish\\s+${line}`));
    expect(report).toMatch(/would publish\s+v0\.1\.5\s+draft -> public last/);
    // Every SBOM it would make, with its target and digest.
    for (const sbom of SBOMS) {
      const target = sbom.replace(/^sample-usage-/, "").replace(/\.(tar\.gz|zip)\.cdx\.json$/, "");
      expect(report).toMatch(
        new RegExp(
          `would stage\\s+${sbom.replaceAll(".", "\\.")}\\s+sbom ${target}\\s+sha256:${sha256(bytesOf(sbom))}`,
        ),
      );
    }
    expect(outcome.model.execs.filter(isSbomStep)).toHaveLength(SBOMS.length);
  });

  test("a binary without its dependency list stops the release before anything is staged, naming it", async () => {
    const { github, oidc, testPypi, pypi } = await start();
    const message =
      "/out/sample-usage-aarch64-apple-darwin.tar.gz.cdx.json: sample-usage (aarch64-apple-darwin) " +
      "has no .dep-v0 section: it was not built with cargo auditable";
    const outcome = await mod.call("release", services.args(), {
      answers: built({
        exec: (e) =>
          isSbomStep(e) && e.argv[2]?.includes("aarch64-apple-darwin")
            ? { exitCode: 1, stderr: message }
            : built().exec?.(e),
      }),
    });
    expect(outcome.error).toBe(message);
    expect(github.writes()).toEqual([]);
    expect(outcome.model.publishes).toEqual([]);
    expect([...oidc.requests, ...testPypi.requests, ...pypi.requests]).toEqual([]);
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
    const { github } = await start();
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
    expect(outcome.model.execs.find((e) => e.image === IMAGES.runtime)).toBeDefined();
    expect(github.requests).toEqual([]);
  });

  test("a real release still requires --sha: placeholders are for dry runs only", async () => {
    await start();
    const args = Object.fromEntries(Object.entries(services.args()).filter(([k]) => k !== "sha"));
    const outcome = await mod.call("release", args, { answers: built() });
    expect(outcome.error).toContain("--sha is needed for the image's sha-<7> tag");
    expect(outcome.model.containers).toEqual([]);
  });

  test("--registry sends the image to another registry, with the same tags", async () => {
    await start();
    const outcome = await mod.call(
      "release",
      services.args({ registry: "127.0.0.1:5000", registryUsername: "pusher", skipPypi: true }),
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

  test("a prerelease is published as one and never made latest", async () => {
    const { github } = await start();
    const outcome = await mod.call(
      "release",
      services.args({ tag: "v1.0.0-rc.1", latestOnRelease: true, skipPypi: true }),
      { answers: built({}, "1.0.0-rc.1") },
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
    expect(String(outcome.value)).toMatch(
      /\nTestPyPI \(.*\)\n\s+skipped\s+-\s+--skip-pypi\n\nPyPI \(.*\)\n\s+skipped\s+-\s+--skip-pypi\n/,
    );
  });

  test("--skip-github keeps the direct path: build, then the image and PyPI, no staging", async () => {
    const { github } = await start();
    const outcome = await mod.call("release", services.args({ skipGithub: true }), {
      answers: builtAndUploaded(services),
    });
    expect(outcome.error).toBeUndefined();
    expect(github.requests).toEqual([]);
    expect(outcome.model.publishes.map((p) => p.address)).toEqual(IMAGE_REFS);
    expect(outcome.model.execs.filter(isUvPublish)).toHaveLength(2);
    const report = String(outcome.value);
    expect(report).toContain("No staging (--skip-github)");
    expect(report).toMatch(
      /GitHub Release octo\/sample-usage v0\.1\.5 \(draft\)\n\s+skipped\s+-\s+--skip-github\n/,
    );
  });

  test("destinations can be switched off one by one", async () => {
    const { github } = await start();
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
    // Every destination of the list says it was skipped, and by which flag.
    const report = String(outcome.value);
    expect(report.match(/skipped/g)).toHaveLength(5);
    expect(report.match(/skipped\s+-\s+--skip-github\n/g)).toHaveLength(2);
    expect(report.match(/skipped\s+-\s+--skip-image\n/g)).toHaveLength(1);
    expect(report.match(/skipped\s+-\s+--skip-pypi\n/g)).toHaveLength(2);
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
    const { github } = await start();
    const args = Object.fromEntries(
      Object.entries(services.args(change as Record<string, ArgValue>)).filter(
        ([, v]) => v !== null,
      ),
    );
    const outcome = await mod.call("release", args, { answers: built() });
    expect(outcome.error).toContain(message);
    expect(outcome.model.containers).toEqual([]);
    expect(github.writes()).toEqual([]);
  });

  test("a tag that names another commit on GitHub stops the release before the build", async () => {
    await start({ tagCommit: "f".repeat(40) });
    const outcome = await mod.call("release", services.args(), { answers: built() });
    expect(outcome.error).toContain(
      `tag v0.1.5 points at ${"f".repeat(40)} on GitHub, but --sha is ${SHA}`,
    );
    expect(outcome.model.containers).toEqual([]);
  });

  test("a published immutable release missing files stops the release before the build", async () => {
    const { github } = await start({
      releases: [{ tag: TAG, immutable: true, assets: [{ name: "SHA256SUMS", content: "x" }] }],
    });
    const outcome = await mod.call("release", services.args(), { answers: built() });
    expect(outcome.error).toContain("published and immutable");
    expect(outcome.model.containers).toEqual([]);
    expect(github.writes()).toEqual([]);
  });
});
