/**
 * Offline verification of a Sigstore bundle with @sigstore/verify, with the policy of
 * `gh attestation verify <file> --repo owner/name` (cli/cli verify/policy.go and
 * verification/extensions.go): signature, certificate chain, SCT, log entry or timestamp;
 * the SAN under https://github.com/<owner>/<name>/; the certificate's issuer, source repository
 * and owner extensions (case-insensitive); the statement's predicate type; one subject with the
 * artifact's digest. gh checks nothing in the predicate, and neither does this.
 */
import { parseStatement, type Statement } from "../../plan/provenance.js";
import { loadVerifying, type SigstoreBundle } from "./packages.js";

export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

const OID = {
  issuerV1: "1.3.6.1.4.1.57264.1.1",
  issuer: "1.3.6.1.4.1.57264.1.8",
  buildConfigUri: "1.3.6.1.4.1.57264.1.18",
  sourceRepositoryUri: "1.3.6.1.4.1.57264.1.12",
  sourceRepositoryDigest: "1.3.6.1.4.1.57264.1.13",
  sourceRepositoryRef: "1.3.6.1.4.1.57264.1.14",
  sourceRepositoryOwnerUri: "1.3.6.1.4.1.57264.1.16",
} as const;

export type CertificateFacts = Record<keyof typeof OID, string | undefined>;

export interface VerifyPolicy {
  /** owner/name of the repository whose workflow must have signed. */
  repository: string;
  predicateType: string;
  /** The artifact's sha256 (hex); one subject must carry it. */
  sha256: string;
  /** The instance's trusted root (protobuf JSON). */
  trustedRoot: unknown;
  /** Whether the instance has a transparency log (public-good) or only timestamps. */
  transparencyLog: boolean;
}

export interface VerifiedAttestation {
  statement: Statement;
  san: string;
  certificate: CertificateFacts;
}

/** A bundle that does not prove what it should: the message says what did not hold. */
export class AttestationError extends Error {
  override name = "AttestationError";
}

function extension(
  cert: { extension(oid: string): { value: Buffer } | undefined },
  oid: string,
  parse: (der: Buffer) => { value: Buffer },
): string | undefined {
  const found = cert.extension(oid);
  if (!found) return undefined;
  // Fulcio's legacy issuer extension holds raw bytes; the newer ones a DER UTF8String.
  return oid === OID.issuerV1
    ? found.value.toString("utf8")
    : parse(Buffer.from(found.value)).value.toString("utf8");
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export async function verifyAttestation(
  json: SigstoreBundle,
  policy: VerifyPolicy,
): Promise<VerifiedAttestation> {
  const { verify, bundle: bundles, core, protobuf } = await loadVerifying();
  const [owner, name] = policy.repository.split("/");
  const server = "https://github.com";
  let bundle: unknown;
  try {
    bundle = bundles.bundleFromJSON(json);
  } catch (error) {
    throw new AttestationError(`not a Sigstore bundle (${(error as Error).message})`);
  }
  const envelope = json.dsseEnvelope;
  if (!envelope) throw new AttestationError("the bundle holds no DSSE envelope");
  const trust = verify.toTrustMaterial(protobuf.TrustedRoot.fromJSON(policy.trustedRoot));
  const verifier = new verify.Verifier(trust, {
    tlogThreshold: policy.transparencyLog ? 1 : 0,
    ctlogThreshold: policy.transparencyLog ? 1 : 0,
    timestampThreshold: 1,
  });
  const san = new RegExp(`^${escapeRegExp(`${server}/${owner}/${name}/`)}`, "i");
  let signer: { identity?: { subjectAlternativeName?: string } };
  try {
    signer = verifier.verify(verify.toSignedEntity(bundle), { subjectAlternativeName: san });
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (code === "UNTRUSTED_SIGNER_ERROR") {
      throw new AttestationError(
        `signed by another identity than ${policy.repository}'s workflows (${message})`,
      );
    }
    throw new AttestationError(`the signature does not verify (${code ?? ""} ${message ?? ""})`);
  }
  const vm = json.verificationMaterial;
  const der = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes;
  if (!der) throw new AttestationError("the bundle holds no certificate");
  const cert = core.X509Certificate.parse(Buffer.from(der, "base64"));
  const certificate = Object.fromEntries(
    Object.entries(OID).map(([key, oid]) => [
      key,
      extension(cert, oid, (d) => core.ASN1Obj.parseBuffer(d)),
    ]),
  ) as CertificateFacts;
  const same = (a: string | undefined, b: string) => (a ?? "").toLowerCase() === b.toLowerCase();
  const repository = `${server}/${owner}/${name}`;
  if (!same(certificate.sourceRepositoryUri, repository)) {
    throw new AttestationError(
      `made by ${certificate.sourceRepositoryUri ?? "an unknown repository"}, not ${repository}`,
    );
  }
  if (!same(certificate.sourceRepositoryOwnerUri, `${server}/${owner}`)) {
    throw new AttestationError(`made by another owner than ${server}/${owner}`);
  }
  const issuer = certificate.issuer ?? certificate.issuerV1;
  if (!same(issuer, GITHUB_OIDC_ISSUER)) {
    throw new AttestationError(`issued for ${issuer}, not GitHub Actions`);
  }
  if (envelope.payloadType !== "application/vnd.in-toto+json") {
    throw new AttestationError(`payload type ${envelope.payloadType} is not an in-toto statement`);
  }
  const statement = parseStatement(Buffer.from(envelope.payload, "base64"));
  if (statement.predicateType !== policy.predicateType) {
    throw new AttestationError(
      `predicate type ${statement.predicateType}, expected ${policy.predicateType}`,
    );
  }
  if (!statement.subject.some((s) => s.digest?.sha256 === policy.sha256)) {
    throw new AttestationError(`no subject of the attestation has sha256:${policy.sha256}`);
  }
  return { statement, san: signer.identity?.subjectAlternativeName ?? "", certificate };
}

/**
 * PyPI's GitHub trusted-publisher check (pypi-attestations `_GitHubTrustedPublisherPolicy`):
 * the Build Config URI is `https://github.com/<repo>/.github/workflows/<workflow>@<ref or sha>`.
 */
export function signedByWorkflow(
  certificate: CertificateFacts,
  repository: string,
  workflow: string,
): boolean {
  const base = `https://github.com/${repository}/.github/workflows/${workflow}@`.toLowerCase();
  const uri = certificate.buildConfigUri?.toLowerCase();
  return [certificate.sourceRepositoryRef, certificate.sourceRepositoryDigest].some(
    (source) => source !== undefined && uri === `${base}${source.toLowerCase()}`,
  );
}
