import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  buildClaims,
  imageSubject,
  PYPI_PUBLISH_V1,
  provenanceStatement,
  publishStatementBytes,
  SLSA_PROVENANCE_V1,
  statementBytes,
} from "../../lib/plan/provenance.js";
import {
  attestationFromBundle,
  attestationSubject,
  bundleFromAttestation,
  instanceFromTrustConfig,
  requestIdToken,
  signedByWorkflow,
  signStatement,
  tokenClaims,
  verifyAttestation,
} from "../../lib/publishers/sigstore/index.js";
import {
  clientTrustConfig,
  type FakeSigstore,
  githubClaims,
  startFakeSigstore,
  unsignedJwt,
} from "../fakes/sigstore.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const FILES = { "tool-x86_64-unknown-linux-gnu.tar.gz": "archive", SHA256SUMS: "sums" };
const SUBJECTS = [
  ...Object.entries(FILES).map(([name, body]) => ({ name, digest: { sha256: sha(body) } })),
  imageSubject("ghcr.io/acme/tool", `sha256:${sha("index")}`),
];

let sigstore: FakeSigstore;
beforeAll(async () => {
  sigstore = await startFakeSigstore();
});
afterAll(() => sigstore.close());

function instance() {
  return instanceFromTrustConfig(JSON.stringify(clientTrustConfig(sigstore)));
}

async function signedProvenance(repository = "acme/tool") {
  const token = unsignedJwt(githubClaims({ repository }));
  const statement = provenanceStatement(SUBJECTS, buildClaims(tokenClaims(token)), [
    `python:3.12@sha256:${"a".repeat(64)}`,
  ]);
  return signStatement(statementBytes(statement), instance(), token);
}

describe("keyless signing with @sigstore/sign, verified by @sigstore/verify (gh's policy)", () => {
  test("one statement covers every file and the image; each verifies by its digest", async () => {
    const bundle = await signedProvenance();
    expect(bundle.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const trustedRoot = sigstore.trustedRoot;
    for (const subject of SUBJECTS) {
      const verified = await verifyAttestation(bundle, {
        repository: "ACME/Tool",
        predicateType: SLSA_PROVENANCE_V1,
        sha256: subject.digest.sha256,
        trustedRoot,
        transparencyLog: true,
      });
      expect(verified.san).toBe(
        "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v0.1.5",
      );
      const predicate = verified.statement.predicate as {
        buildDefinition: { resolvedDependencies: { uri: string }[] };
      };
      expect(predicate.buildDefinition.resolvedDependencies.map((d) => d.uri)).toEqual([
        "git+https://github.com/acme/tool@refs/tags/v0.1.5",
        "docker://python:3.12",
      ]);
    }
  });

  test("an attestation signed for another repository fails, naming the repository", async () => {
    const bundle = await signedProvenance("mallory/tool");
    await expect(
      verifyAttestation(bundle, {
        repository: "acme/tool",
        predicateType: SLSA_PROVENANCE_V1,
        sha256: sha("sums"),
        trustedRoot: sigstore.trustedRoot,
        transparencyLog: true,
      }),
    ).rejects.toThrow(/another identity than acme\/tool/);
  });

  test("a changed byte, another predicate type or another trust root does not verify", async () => {
    const bundle = await signedProvenance();
    const policy = {
      repository: "acme/tool",
      predicateType: SLSA_PROVENANCE_V1,
      sha256: sha("sums!"),
      trustedRoot: sigstore.trustedRoot,
      transparencyLog: true,
    };
    await expect(verifyAttestation(bundle, policy)).rejects.toThrow(
      `no subject of the attestation has sha256:${sha("sums!")}`,
    );
    await expect(
      verifyAttestation(bundle, { ...policy, sha256: sha("sums"), predicateType: PYPI_PUBLISH_V1 }),
    ).rejects.toThrow(/predicate type https:\/\/slsa.dev\/provenance\/v1/);
    const other = await startFakeSigstore();
    try {
      await expect(
        verifyAttestation(bundle, {
          ...policy,
          sha256: sha("sums"),
          trustedRoot: other.trustedRoot,
        }),
      ).rejects.toThrow(/does not verify/);
    } finally {
      await other.close();
    }
  });

  test("a PEP 740 attestation round-trips and passes PyPI's trusted-publisher check", async () => {
    const token = unsignedJwt(githubClaims({ repository: "acme/tool" }));
    const wheel = "tool-0.1.5-py3-none-any.whl";
    const bundle = await signStatement(
      publishStatementBytes(wheel, sha("wheel")),
      instance(),
      token,
      {
        requireLog: true,
      },
    );
    const attestation = attestationFromBundle(bundle);
    expect(attestationSubject(attestation)).toEqual({ name: wheel, sha256: sha("wheel") });
    const verified = await verifyAttestation(bundleFromAttestation(attestation), {
      repository: "acme/tool",
      predicateType: PYPI_PUBLISH_V1,
      sha256: sha("wheel"),
      trustedRoot: sigstore.trustedRoot,
      transparencyLog: true,
    });
    expect(signedByWorkflow(verified.certificate, "acme/tool", "release.yml")).toBe(true);
    expect(signedByWorkflow(verified.certificate, "acme/tool", "other.yml")).toBe(false);
  });
});

describe("the workflow's OIDC token", () => {
  test("a missing token names the permission the job needs", async () => {
    const source = { requestUrl: async () => "", requestToken: async () => "" };
    await expect(requestIdToken(source, "sigstore")).rejects.toThrow(
      "`permissions: id-token: write`",
    );
  });

  test("a token that is not a GitHub Actions job's cannot make provenance", () => {
    expect(() => buildClaims({ sub: "someone" })).toThrow(/lacks the claims ref, sha/);
  });
});
