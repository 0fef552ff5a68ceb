/**
 * Signed provenance through the SDK, as `dagger call release` and `dagger call verify` run it,
 * against local fakes of GitHub (releases and attestations), the indexes (uploads and the
 * integrity API), the runner's OIDC endpoint, Sigstore (Fulcio, Rekor, TSA) and a real OCI
 * registry (Debian's docker-registry on 127.0.0.1).
 */
import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { CYCLONEDX_BOM, PROVENANCE_FILE } from "../../lib/plan/provenance.js";
import { attachedBundles } from "../../lib/publishers/registry/index.js";
import type { FakeAsset } from "../fakes/github-api.js";
import { haveRegistry } from "../fakes/oci-registry.js";
import { ModuleUnderTest } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import {
  built,
  builtAndUploaded,
  GITHUB_TOKEN,
  isUvPublish,
  PUBLISHER,
  REPOSITORY,
  ReleaseServices,
  SBOM_CRATES,
  SBOMS,
  SDIST,
  STAGED,
  secretArg,
  TAG,
  WHEELS,
} from "../support/release-scenario.js";

const mod = new ModuleUnderTest();
let services: ReleaseServices;
const ATTESTATIONS = [...WHEELS, SDIST].map((d) => `${d}.publish.attestation`);

beforeAll(() => mod.start());
afterAll(() => mod.stop());
afterEach(() => services?.stop());

async function start(options: ConstructorParameters<typeof ReleaseServices>[0] = {}) {
  services = await (await new ReleaseServices(options).start()).attesting();
  return services;
}

/** The engine's answers: real pushes to the local registry, uploads that land with provenance. */
function releaseAnswers() {
  const answers = builtAndUploaded(services, { publish: () => undefined });
  return {
    ...answers,
    publish: () => undefined,
    exec: (e: ExecRecord) => {
      const answer = answers.exec?.(e);
      if (isUvPublish(e)) landAttestations(e);
      return answer;
    },
  };
}

/** What PyPI keeps of an upload's attestations: the staged copies are the files uv sent. */
function landAttestations(e: ExecRecord) {
  const url = e.argv[e.argv.indexOf("--publish-url") + 1];
  const index = [services.testPypi, services.pypi].find((i) => url === `${i.url}/legacy/`);
  const draft = services.github.releasesForTag(TAG)[0];
  for (const arg of e.argv.filter((a) => a.endsWith(".publish.attestation"))) {
    const name = arg.slice("/upload/".length);
    const dist = name.slice(0, -".publish.attestation".length);
    const text = draft?.assets.find((a) => a.name === name)?.bytes.toString("utf8");
    const file = index?.releases[0]?.files.find((f) => f.filename === dist);
    if (file && text) {
      file.attestations = [JSON.parse(text)];
      file.publisher = PUBLISHER;
    }
  }
}

/** Someone replaces an asset on GitHub: GitHub recomputes its size and digest. */
function replaceAsset(asset: FakeAsset | undefined, bytes: Buffer) {
  if (!asset) throw new Error("no such asset");
  asset.bytes = bytes;
  asset.size = bytes.length;
  asset.digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function release(extra = {}) {
  const pushes: string[] = [];
  const answers = releaseAnswers();
  const outcome = await mod.call("release", services.args(extra), {
    answers: {
      ...answers,
      publish: (record) => {
        pushes.push(record.address);
        // The registry answers the push with the index's digest (synchronously recorded).
        return services.pushedDigest ?? undefined;
      },
    },
  });
  return { outcome, pushes };
}

function verifyArgs(extra = {}) {
  return {
    tag: TAG,
    repository: REPOSITORY,
    githubToken: secretArg("GITHUB_TOKEN", GITHUB_TOKEN),
    githubApiUrl: services.github.apiUrl,
    pypiUrl: services.pypi.url,
    sigstoreTrustConfig: services.args().sigstoreTrustConfig ?? null,
    ...extra,
  };
}

describe.skipIf(!haveRegistry)("signed provenance on every destination", () => {
  test("--dry-run lists every attestation and signature it would make, signing nothing", async () => {
    await start();
    const outcome = await mod.call("release", services.args({ dryRun: true }), {
      answers: built(),
    });
    expect(outcome.error).toBeUndefined();
    const report = String(outcome.value);
    expect(report).toMatch(
      new RegExp(
        `would sign\\s+${PROVENANCE_FILE}\\s+SLSA provenance v1 of ${STAGED.length} files`,
      ),
    );
    for (const name of ATTESTATIONS) expect(report).toMatch(new RegExp(`would sign\\s+${name}`));
    expect(report).toMatch(/would sign\s+127\.0\.0\.1:\d+\/octo\/sample-usage@<index digest/);
    expect(report).toMatch(/would verify\s+v0\.1\.5\s+every staged file/);
    expect(services.sigstore?.requests).toEqual([]);
    expect(services.github.attestations).toEqual([]);
  });

  test("a release signs once, records and stages the provenance; verify passes, then fails naming a changed file", async () => {
    await start();
    await services.pushImage();
    const { outcome } = await release();
    expect(outcome.error).toBeUndefined();
    const report = String(outcome.value);
    const draft = services.github.releasesForTag(TAG)[0];
    expect(draft?.draft).toBe(false);
    const names = draft?.assets.map((a) => a.name) ?? [];
    expect(names).toContain(PROVENANCE_FILE);
    for (const name of ATTESTATIONS) expect(names).toContain(name);
    // One SLSA statement for every staged file, the manifest and the image; recorded once.
    expect(services.github.attestations).toHaveLength(1);
    const [recorded] = services.github.attestations;
    expect(recorded?.digests).toHaveLength(STAGED.length + 1);
    expect(recorded?.digests).toContain(services.pushedDigest);
    // The SBOMs are staged files like every other, so the provenance covers them.
    const statement = JSON.parse(
      Buffer.from(recorded?.bundle.dsseEnvelope.payload ?? "", "base64").toString("utf8"),
    ) as { subject: { name: string }[] };
    for (const sbom of SBOMS) expect(statement.subject.map((s) => s.name)).toContain(sbom);

    // The image's SBOM attestation lists what the image is made of: its base, each platform's
    // binary with the digest its target's SBOM records, and the crates those SBOMs list.
    const attached = await attachedBundles(
      { repository: services.imageRepository, credentials: null },
      services.pushedDigest ?? "",
    );
    const sbomBundle = attached.find((a) => a.predicateType === CYCLONEDX_BOM);
    const bom = JSON.parse(
      Buffer.from(sbomBundle?.bundle.dsseEnvelope?.payload ?? "", "base64").toString("utf8"),
    ).predicate as {
      components: { type: string; name: string; scope?: string; hashes?: unknown }[];
    };
    const byType = (type: string) => bom.components.filter((c) => c.type === type);
    expect(byType("library").map((c) => [c.name, c.scope])).toEqual(
      SBOM_CRATES.map((c) => [c.name, c.scope]).sort(),
    );
    expect(byType("application").map((c) => c.name)).toEqual(["sample-usage", "sample-usage"]);
    for (const binary of byType("application")) expect(binary.hashes).toHaveLength(1);
    expect(byType("container").map((c) => c.name)).toEqual([
      "gcr.io/distroless/cc-debian12:nonroot",
    ]);
    expect(report).toMatch(
      /SBOM attestation \(the base image, 2 binaries, 2 crates; OCI referrers\)/,
    );
    // The uploads carried the attestations, and PyPI serves them as the files' provenance.
    const uploads = outcome.model.execs.filter(isUvPublish);
    for (const upload of uploads) {
      for (const name of ATTESTATIONS) expect(upload.argv).toContain(`/upload/${name}`);
    }
    expect(report).toMatch(
      /published\s+\S+\.whl\s+sha256:[0-9a-f]{64}\s+with its PEP 740 attestation/,
    );
    expect(report).toMatch(/verified\s+v0\.1\.5\s+all \d+ checks held/);
    expect(services.secretsIn([report, outcome.output].join("\n"))).toEqual([]);

    const verified = await mod.call("verify", verifyArgs());
    expect(verified.error).toBeUndefined();
    expect(String(verified.value)).toMatch(/OK: all \d+ checks held/);
    expect(String(verified.value)).toMatch(
      /held\s+127\.0\.0\.1:\d+\/octo\/sample-usage@sha256:[0-9a-f]{64}\s+signature/,
    );

    // One byte of one asset changes on GitHub: verify fails and names the file.
    const wheel = draft?.assets.find((a) => a.name === WHEELS[0]);
    replaceAsset(
      wheel,
      Buffer.concat([wheel?.bytes.subarray(0, -1) ?? Buffer.alloc(0), Buffer.from("!")]),
    );
    const tampered = await mod.call("verify", verifyArgs());
    expect(tampered.error).toMatch(new RegExp(`FAILED\\s+${WHEELS[0]}\\s+matches the manifest`));
    expect(tampered.error).toMatch(/FAILED: \d+ of \d+ checks did not hold/);
  });

  test("an attestation made for another repository fails verify, naming it", async () => {
    await start();
    await services.pushImage();
    services.oidc.claims.repository = "mallory/sample-usage";
    services.oidc.claims.job_workflow_ref = `mallory/sample-usage/.github/workflows/release.yml@refs/tags/${TAG}`;
    const { outcome } = await release({ skipPypi: true });
    // The release's own check refuses to make it public.
    expect(outcome.error).toMatch(/signed by another identity than octo\/sample-usage's workflows/);
    expect(services.github.releasesForTag(TAG)[0]?.draft).toBe(true);
    const verified = await mod.call("verify", verifyArgs());
    expect(verified.error).toMatch(/another identity than octo\/sample-usage/);
  });

  test("without the workflow's OIDC token the release stops before any work, naming the permission", async () => {
    await start();
    const args = services.args({
      oidcRequestUrl: null,
      oidcRequestToken: null,
      pypiToken: secretArg("PYPI", "pypi-x"),
      testPypiToken: secretArg("TPYPI", "pypi-y"),
    });
    const outcome = await mod.call(
      "release",
      Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null)),
      { answers: built() },
    );
    expect(outcome.error).toContain("`permissions: id-token: write`");
    expect(outcome.error).toContain("--skip-attestations");
    expect(outcome.model.containers).toEqual([]);
    expect(services.github.writes()).toEqual([]);
  });

  test("a staged provenance whose subjects do not match the manifest is refused before anything is published", async () => {
    await start();
    await services.pushImage();
    // A first run stages everything but fails at TestPyPI (after the provenance was staged).
    services.testPypi.failNext("/_/oidc/audience", { status: 503, json: { message: "down" } });
    const first = await release();
    expect(first.outcome.error).toContain("TestPyPI");
    const draft = services.github.releasesForTag(TAG)[0];
    const bundle = draft?.assets.find((a) => a.name === PROVENANCE_FILE);
    expect(bundle).toBeDefined();
    // Someone replaces the staged bundle with one whose statement names other bytes.
    const json = JSON.parse(bundle?.bytes.toString("utf8") ?? "{}");
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, "base64").toString());
    statement.subject[0].digest.sha256 = "0".repeat(64);
    json.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    replaceAsset(bundle, Buffer.from(JSON.stringify(json)));
    const uploadsBefore = services.testPypi.releases.length + services.pypi.releases.length;
    const second = await release();
    expect(second.outcome.error).toContain(
      `The staged ${PROVENANCE_FILE} does not attest this release's bytes`,
    );
    expect(second.outcome.error).toContain(statement.subject[0].name);
    expect(second.outcome.model.execs.filter(isUvPublish)).toEqual([]);
    expect(services.testPypi.releases.length + services.pypi.releases.length).toBe(uploadsBefore);
    expect(services.github.releasesForTag(TAG)[0]?.draft).toBe(true);
  });
});
