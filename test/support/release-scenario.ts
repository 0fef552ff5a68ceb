import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { wheelName } from "../../lib/plan/names.js";
import { DEFAULT_TARGETS, findTarget } from "../../lib/plan/targets.js";
import { parseTag } from "../../lib/plan/version.js";
import { FakeGithubApi, type SeedRelease } from "../fakes/github-api.js";
import { type LocalRegistry, pushTestIndex, startRegistry } from "../fakes/oci-registry.js";
import { FakeGithubOidc, FakePackageIndex, type FakePublisher } from "../fakes/pypi-api.js";
import {
  clientTrustConfig,
  type FakeSigstore,
  githubClaims,
  startFakeSigstore,
} from "../fakes/sigstore.js";
import { type ArgValue, fileArg, secretArg } from "../harness/dagger-call.js";
import type { Answers } from "../harness/evaluator.js";
import type { ExecRecord } from "../harness/model.js";

/** The sample's release of v0.1.5 from octo/sample-usage, against local fakes of every service. */
export const SHA = "0123456789abcdef0123456789abcdef01234567";
export const TAG = "v0.1.5";
export const GITHUB_TOKEN = "ghs_ReleaseTokenSECRET";
export const RUNNER_TOKEN = "runner-request-token-SECRET";
export const REPOSITORY = "octo/sample-usage";
export const PUBLISHER: FakePublisher = { repository: REPOSITORY, workflowFile: "release.yml" };
/** The claims of the runner's OIDC tokens: a tag push of release.yml in a public repository. */
export const CLAIMS = githubClaims({ repository: REPOSITORY, ref: `refs/tags/${TAG}`, sha: SHA });

export const ARCHIVES = DEFAULT_TARGETS.map((t) => `sample-usage-${t.triple}.${t.archiveFormat}`);
/** The CycloneDX SBOM staged beside each archive. */
export const SBOMS = ARCHIVES.map((archive) => `${archive}.cdx.json`);
export const ASSETS = [...ARCHIVES, ...SBOMS, "SHA256SUMS"].sort();
/** The sample's wheels: abi3 extension modules from CPython 3.8 on. */
const ABI3_CP38 = { python: "cp38", abi: "abi3" };
export const WHEELS = DEFAULT_TARGETS.map((t) => wheelName("sample_usage", "0.1.5", ABI3_CP38, t));
export const SDIST = "sample_usage-0.1.5.tar.gz";
export const MANIFEST = "release-manifest.json";
/** Everything staged on the draft: archives, SBOMs, checksums, wheels, sdist, and the manifest. */
export const STAGED = [...ASSETS, ...WHEELS, SDIST, MANIFEST].sort();
export const IMAGE_REFS = ["v0.1.5", "v0.1", "v0", "sha-0123456"].map(
  (t) => `ghcr.io/octo/sample-usage:${t}`,
);

export { secretArg } from "../harness/dagger-call.js";

export const isUvPublish = (e: ExecRecord) => e.argv[0] === "uv" && e.argv[1] === "publish";
export { isBinaryCheck as isCheckBinary } from "./execs.js";

/**
 * The crates the stand-in SBOM of a target lists, as sbom.py writes them from a binary's
 * dependency list: one the binary links, one only its build used.
 */
export const SBOM_CRATES = [
  { name: "itoa", version: "1.0.15", scope: "required" },
  { name: "cc", version: "1.2.40", scope: "excluded" },
];

/** A target's SBOM as container-scripts/sbom.py writes it, for the stand-in engine. */
export function cannedSbom(
  name: string,
  version = "0.1.5",
  project = { packageName: "sample-usage", primaryBin: "sample-usage" },
): string {
  const target = name
    .slice(project.primaryBin.length + 1)
    .replace(/\.(tar\.gz|zip)\.cdx\.json$/, "");
  const root = `pkg:cargo/${project.packageName}@${version}?download_url=file://.`;
  const crates = SBOM_CRATES.map((c) => ({
    type: "library",
    "bom-ref": `pkg:cargo/${c.name}@${c.version}`,
    name: c.name,
    version: c.version,
    scope: c.scope,
    purl: `pkg:cargo/${c.name}@${c.version}`,
  }));
  const binary = target.includes("windows") ? `${project.primaryBin}.exe` : project.primaryBin;
  const sbom = {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    version: 1,
    metadata: {
      timestamp: "1980-01-01T00:00:00Z",
      component: {
        type: "application",
        "bom-ref": root,
        name: project.packageName,
        version,
        purl: root,
        components: [
          {
            type: "application",
            "bom-ref": `${root}#${binary}`,
            name: binary,
            version,
            hashes: [{ alg: "SHA-256", content: sha256(`bytes of ${binary} for ${target}`) }],
          },
        ],
      },
      properties: [{ name: "cdx:rustc:sbom:target:triple", value: target }],
    },
    components: crates,
    dependencies: [
      { ref: root, dependsOn: crates.map((c) => c["bom-ref"]) },
      ...crates.map((c) => ({ ref: c["bom-ref"], dependsOn: [] })),
    ],
  };
  return `${JSON.stringify(sbom, null, 2)}\n`;
}

/** What the harness's stand-in bytes of a produced file are. */
export function bytesOf(name: string): string {
  return name.endsWith(".cdx.json") ? cannedSbom(name) : `bytes of ${name}`;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** What a real build of a version would produce, with deterministic bytes for every artifact. */
export function built(overrides: Answers = {}, version = "0.1.5"): Answers {
  const { pep440 } = parseTag(`v${version}`);
  return {
    entries: ({ path }) => {
      const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
      if (triple) return [wheelName("sample_usage", pep440, ABI3_CP38, findTarget(triple))];
      return path === "/sdist" ? [`sample_usage-${pep440}.tar.gz`] : undefined;
    },
    file: ({ path }) => {
      const name = posix.basename(path);
      return name.endsWith(".cdx.json") ? cannedSbom(name, version) : bytesOf(name);
    },
    exec: (e) =>
      e.argv.at(-1) === "--version" ? { stdout: `sample-usage ${version}\n` } : undefined,
    ...overrides,
  };
}

/** GitHub, TestPyPI, PyPI and the runner's OIDC endpoint, started together. */
export class ReleaseServices {
  github: FakeGithubApi;
  testPypi = new FakePackageIndex({ audience: "testpypi", publishers: [PUBLISHER] });
  pypi: FakePackageIndex;
  oidc = new FakeGithubOidc({ requestToken: RUNNER_TOKEN, claims: CLAIMS });

  constructor(
    options: {
      tagCommit?: string;
      immutable?: boolean;
      releases?: SeedRelease[];
      /** PyPI's trusted publishers (default: this repository's release.yml). */
      pypiPublishers?: FakePublisher[];
    } = {},
  ) {
    this.github = new FakeGithubApi({
      token: GITHUB_TOKEN,
      owner: "octo",
      repo: "sample-usage",
      tags: { [TAG]: options.tagCommit ?? SHA },
      immutableOnPublish: options.immutable ?? false,
      releases: options.releases ?? [],
    });
    this.pypi = new FakePackageIndex({ publishers: options.pypiPublishers ?? [PUBLISHER] });
  }

  async start(): Promise<this> {
    await Promise.all([
      this.github.start(),
      this.testPypi.start(),
      this.pypi.start(),
      this.oidc.start(),
    ]);
    return this;
  }

  sigstore: FakeSigstore | null = null;
  registry: LocalRegistry | null = null;
  private scratch = "";

  /** A local Sigstore (with its trust config as a file) and a local OCI registry for signing. */
  async attesting(): Promise<this> {
    [this.sigstore, this.registry] = await Promise.all([startFakeSigstore(), startRegistry()]);
    this.scratch = mkdtempSync(join(tmpdir(), "release-scenario-"));
    writeFileSync(this.trustConfigPath, JSON.stringify(clientTrustConfig(this.sigstore)));
    return this;
  }

  get trustConfigPath(): string {
    return join(this.scratch, "trust_config.json");
  }

  /** The image repository in the local registry, as the plan names it. */
  get imageRepository(): string {
    return `${this.registry?.host}/octo/sample-usage`;
  }

  /**
   * What the engine's push will do to the local registry, done ahead (the harness answers
   * synchronously): one real two-platform index under every tag of the release; the publish
   * answers with its digest.
   */
  async pushImage(): Promise<string> {
    if (!this.registry) throw new Error("no local registry: call attesting()");
    for (const ref of IMAGE_REFS) {
      const tag = ref.slice(ref.lastIndexOf(":") + 1);
      this.pushed = await pushTestIndex(this.registry.base, "octo/sample-usage", tag);
    }
    return this.pushed as string;
  }
  private pushed: string | null = null;

  /** The digest of the index pushImage put into the local registry. */
  get pushedDigest(): string | null {
    return this.pushed;
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.sigstore?.close(),
      this.registry?.stop(),
      this.github.stop(),
      this.testPypi.stop(),
      this.pypi.stop(),
      this.oidc.stop(),
    ]);
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }

  /**
   * The flags release.yml passes, pointed at the local fakes. Without `attesting()` the run
   * signs nothing (--skip-attestations): no Sigstore or registry is running then.
   */
  args(extra: Record<string, ArgValue> = {}): Record<string, ArgValue> {
    const signing: Record<string, ArgValue> = this.sigstore
      ? {
          sigstoreTrustConfig: fileArg(this.trustConfigPath),
          registry: this.registry?.host ?? "ghcr.io",
        }
      : { skipAttestations: true };
    return {
      ...signing,
      tag: TAG,
      sha: SHA,
      repository: REPOSITORY,
      githubToken: secretArg("GITHUB_TOKEN", GITHUB_TOKEN),
      registryPassword: secretArg("GITHUB_TOKEN", GITHUB_TOKEN),
      oidcRequestUrl: secretArg("ACTIONS_ID_TOKEN_REQUEST_URL", this.oidc.requestUrl),
      oidcRequestToken: secretArg("ACTIONS_ID_TOKEN_REQUEST_TOKEN", RUNNER_TOKEN),
      githubApiUrl: this.github.apiUrl,
      testPypiUrl: this.testPypi.url,
      pypiUrl: this.pypi.url,
      ...extra,
    };
  }

  /**
   * What `uv publish` does to the index it uploads to (the harness runs no command): the files
   * it was given become part of the release there, with the harness's bytes.
   */
  uploadsLand(e: ExecRecord): void {
    if (!isUvPublish(e)) return;
    const url = e.argv[e.argv.indexOf("--publish-url") + 1];
    const index = [this.testPypi, this.pypi].find((i) => url === `${i.url}/legacy/`);
    const files = e.argv.filter((a) => a.startsWith("/upload/")).map((a) => posix.basename(a));
    let release = index?.releases.find((r) => r.project === "sample-usage");
    if (index && !release) {
      release = { project: "sample-usage", version: "0.1.5", files: [] };
      index.releases.push(release);
    }
    for (const filename of files)
      release?.files.push({ filename, sha256: sha256(bytesOf(filename)) });
  }

  /** Secrets that appear in a text (there must be none). */
  secretsIn(text: string): string[] {
    const secrets = [
      GITHUB_TOKEN,
      RUNNER_TOKEN,
      ...this.oidc.issued,
      ...this.testPypi.minted,
      ...this.pypi.minted,
    ];
    return secrets.filter((secret) => text.includes(secret));
  }
}

/** Built answers whose `uv publish` lands on the fake indexes. */
export function builtAndUploaded(services: ReleaseServices, overrides: Answers = {}): Answers {
  const answers = built(overrides);
  return {
    ...answers,
    exec: (e) => {
      const answer = answers.exec?.(e);
      if ((answer?.exitCode ?? 0) === 0) services.uploadsLand(e);
      return answer;
    },
  };
}
