import { INTOTO_PAYLOAD_TYPE } from "../../plan/provenance.js";
import type { SigstoreInstance } from "./instance.js";
import { loadSigning, type SigstoreBundle } from "./packages.js";

/** Fulcio and Rekor answer in well under a second; a hung service must not hold a release. */
const TIMING = { timeout: 30_000, retry: 3 };

export class SigningError extends Error {
  override name = "SigningError";
}

/**
 * Signs an in-toto statement keyless: Fulcio certifies a fresh key for the workflow's OIDC
 * identity, the DSSE signature is logged (Rekor) and/or timestamped (TSA). Returns the Sigstore
 * bundle (v0.3) that @actions/attest would produce for the same statement. The token is used
 * here only and never appears in a message.
 */
export async function signStatement(
  statement: Buffer,
  instance: SigstoreInstance,
  identityToken: string,
  options: { requireLog?: boolean } = {},
): Promise<SigstoreBundle> {
  const { sign, bundle } = await loadSigning();
  if (options.requireLog && !instance.rekorUrl) {
    throw new SigningError(`${instance.name} has no transparency log, which PEP 740 requires`);
  }
  const witnesses: unknown[] = [];
  if (instance.rekorUrl) {
    witnesses.push(
      new sign.RekorWitness({ rekorBaseURL: instance.rekorUrl, entryType: "dsse", ...TIMING }),
    );
  }
  if (instance.tsaUrl && !options.requireLog) {
    witnesses.push(new sign.TSAWitness({ tsaBaseURL: instance.tsaUrl, ...TIMING }));
  }
  const signer = new sign.FulcioSigner({
    identityProvider: { getToken: async () => identityToken },
    fulcioBaseURL: instance.fulcioUrl,
    ...TIMING,
  });
  try {
    const built = await new sign.DSSEBundleBuilder({ signer, witnesses }).create({
      data: statement,
      type: INTOTO_PAYLOAD_TYPE,
    });
    return bundle.bundleToJSON(built);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replaceAll(
      identityToken,
      "[token]",
    );
    throw new SigningError(`Signing with ${instance.name} failed: ${reason}. Re-run the job.`);
  }
}

/** The DSSE payload of a bundle (the signed statement's bytes). */
export function bundlePayload(bundle: SigstoreBundle): Buffer {
  const payload = bundle.dsseEnvelope?.payload;
  if (!payload) throw new SigningError("the Sigstore bundle holds no DSSE envelope");
  return Buffer.from(payload, "base64");
}
