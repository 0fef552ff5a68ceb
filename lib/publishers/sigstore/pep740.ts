/**
 * PEP 740 attestations: a re-packing of a Sigstore bundle whose content is a DSSE envelope
 * (pypi-attestations `Attestation.from_bundle` / `to_bundle`, field for field):
 *   {"version": 1,
 *    "verification_material": {"certificate": <base64 DER>, "transparency_entries": [<Rekor v1 entry>]},
 *    "envelope": {"statement": <base64 statement>, "signature": <base64 signature>}}
 * Timestamps are not carried, so the bundle must have a Rekor entry.
 */
import { INTOTO_PAYLOAD_TYPE, PYPI_PUBLISH_V1, parseStatement } from "../../plan/provenance.js";
import type { SigstoreBundle } from "./packages.js";

export interface Pep740Attestation {
  version: 1;
  verification_material: { certificate: string; transparency_entries: unknown[] };
  envelope: { statement: string; signature: string };
}

export function attestationFromBundle(bundle: SigstoreBundle): Pep740Attestation {
  const envelope = bundle.dsseEnvelope;
  if (!envelope || envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new Error("a PEP 740 attestation needs a bundle with an in-toto DSSE envelope");
  }
  const [signature] = envelope.signatures;
  if (envelope.signatures.length !== 1 || !signature) {
    throw new Error("a PEP 740 attestation needs exactly one signature");
  }
  const material = bundle.verificationMaterial;
  const certificate =
    material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates[0]?.rawBytes;
  if (!certificate) throw new Error("the bundle holds no signing certificate");
  const [entry] = material.tlogEntries;
  if (!entry) throw new Error("PEP 740 needs a transparency log entry (Rekor v1)");
  return {
    version: 1,
    verification_material: { certificate, transparency_entries: [entry] },
    envelope: { statement: envelope.payload, signature: signature.sig },
  };
}

/** The inverse: a v0.3 bundle @sigstore/verify accepts, to check PyPI's provenance. */
export function bundleFromAttestation(attestation: Pep740Attestation): SigstoreBundle {
  const entry = attestation.verification_material?.transparency_entries?.[0];
  if (attestation.version !== 1 || !entry) {
    throw new Error("not a PEP 740 attestation (version 1 with a transparency log entry)");
  }
  return {
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      certificate: { rawBytes: attestation.verification_material.certificate },
      tlogEntries: [entry],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: attestation.envelope.statement,
      payloadType: INTOTO_PAYLOAD_TYPE,
      signatures: [{ sig: attestation.envelope.signature, keyid: "" }],
    },
  };
}

/** What an attestation attests: its one subject (to refuse one made for other bytes). */
export function attestationSubject(attestation: Pep740Attestation): {
  name: string;
  sha256: string;
} {
  const statement = parseStatement(Buffer.from(attestation.envelope.statement, "base64"));
  const [subject] = statement.subject;
  if (statement.predicateType !== PYPI_PUBLISH_V1 || statement.subject.length !== 1 || !subject) {
    throw new Error("not a PyPI publish attestation (one subject, publish/v1)");
  }
  return { name: subject.name, sha256: subject.digest.sha256 };
}

export function parseAttestation(text: string): Pep740Attestation {
  const value = JSON.parse(text) as Pep740Attestation;
  if (value?.version !== 1 || !value.envelope || !value.verification_material) {
    throw new Error("not a PEP 740 attestation");
  }
  return value;
}
