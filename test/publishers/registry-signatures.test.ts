/**
 * The image signature and SBOM attestation, attached to a real OCI registry (Debian's
 * docker-registry on 127.0.0.1, which .ci/run installs) and read back as cosign reads them;
 * cosign itself checks them where a binary exists (COSIGN=/path, or ~/go/bin/cosign).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  COSIGN_SIGN_V1,
  CYCLONEDX_BOM,
  imageStatement,
  imageSubject,
} from "../../lib/plan/provenance.js";
import {
  attachedBundles,
  indexDigest,
  signImage,
} from "../../lib/publishers/registry/signatures.js";
import {
  instanceFromTrustConfig,
  signStatement,
  verifyAttestation,
} from "../../lib/publishers/sigstore/index.js";
import {
  haveRegistry,
  type LocalRegistry,
  pushTestIndex,
  startRegistry,
} from "../fakes/oci-registry.js";
import {
  clientTrustConfig,
  type FakeSigstore,
  githubClaims,
  startFakeSigstore,
  unsignedJwt,
} from "../fakes/sigstore.js";

const COSIGN = process.env.COSIGN ?? join(homedir(), "go", "bin", "cosign");
const SBOM = { bomFormat: "CycloneDX", specVersion: "1.5", version: 1, components: [] };

describe.skipIf(!haveRegistry)(
  "image signatures as OCI referrers (docker-registry on 127.0.0.1)",
  () => {
    let sigstore: FakeSigstore;
    let registry: LocalRegistry;
    let digest: string;
    const access = () => ({ repository: `${registry.host}/acme/tool`, credentials: null });
    const token = unsignedJwt(githubClaims({ repository: "acme/tool" }));
    const sign = (statement: Buffer) =>
      signStatement(
        statement,
        instanceFromTrustConfig(JSON.stringify(clientTrustConfig(sigstore))),
        token,
      );
    const statements = () => {
      const subject = imageSubject(access().repository, digest);
      return [
        { predicateType: COSIGN_SIGN_V1, statement: imageStatement(subject, COSIGN_SIGN_V1, {}) },
        { predicateType: CYCLONEDX_BOM, statement: imageStatement(subject, CYCLONEDX_BOM, SBOM) },
      ];
    };

    beforeAll(async () => {
      [sigstore, registry] = await Promise.all([startFakeSigstore(), startRegistry()]);
      digest = await pushTestIndex(registry.base, "acme/tool", "v0.1.5");
    });
    afterAll(() => Promise.all([sigstore.close(), registry.stop()]));

    test("the tag's index digest is read from the registry", async () => {
      expect(await indexDigest(access(), "v0.1.5")).toBe(digest);
    });

    test("signs once: a re-run finds both bundles and attaches nothing", async () => {
      const first = await signImage(access(), digest, statements(), sign);
      expect(first.map((r) => r.outcome)).toEqual(["attached", "attached"]);
      const again = await signImage(access(), digest, statements(), sign);
      expect(again.map((r) => r.outcome)).toEqual(["already there", "already there"]);
      const attached = await attachedBundles(access(), digest);
      expect(attached.map((a) => a.predicateType).sort()).toEqual(
        [COSIGN_SIGN_V1, CYCLONEDX_BOM].sort(),
      );
      for (const { bundle, predicateType } of attached) {
        const verified = await verifyAttestation(bundle, {
          repository: "acme/tool",
          predicateType: predicateType ?? "",
          sha256: digest.slice("sha256:".length),
          trustedRoot: sigstore.trustedRoot,
          transparencyLog: true,
        });
        expect(verified.statement.subject[0]?.name).toBe(access().repository);
      }
    });

    test("attaching to a digest the registry does not hold fails before writing", async () => {
      const missing = `sha256:${"1".repeat(64)}`;
      await expect(signImage(access(), missing, statements(), sign)).rejects.toThrow(
        /attaching a signature to .*@sha256:1{64} failed/,
      );
    });

    test.skipIf(!existsSync(COSIGN))("cosign verify --new-bundle-format finds them", async () => {
      const dir = mkdtempSync(join(tmpdir(), "cosign-"));
      try {
        writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(sigstore.trustedRoot));
        const common = [
          "--allow-http-registry",
          "--new-bundle-format",
          "--trusted-root",
          join(dir, "trusted_root.json"),
          "--certificate-identity",
          "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v0.1.5",
          "--certificate-oidc-issuer",
          "https://token.actions.githubusercontent.com",
        ];
        const ref = `${access().repository}@${digest}`;
        const env = { ...process.env, HOME: dir };
        const verify = spawnSync(COSIGN, ["verify", ...common, ref], { env, encoding: "utf8" });
        expect(verify.status, verify.stderr).toBe(0);
        const sbom = spawnSync(
          COSIGN,
          ["verify-attestation", "--type", "cyclonedx", ...common, ref],
          { env, encoding: "utf8" },
        );
        expect(sbom.status, sbom.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
