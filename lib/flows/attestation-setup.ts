import type { File, Secret } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import {
  GITHUB_PRIVATE,
  ID_TOKEN_PERMISSION,
  type IdTokenSource,
  instanceFromTrustConfig,
  PUBLIC_GOOD,
  type SigstoreInstance,
} from "../publishers/sigstore/index.js";
import { IMAGES } from "../stages/images.js";

/** How a release signs: the workflow's OIDC token, and the Sigstore instance when not the default. */
export interface AttestationSetup {
  idToken: IdTokenSource;
  /** From --sigstore-trust-config; null: chosen per repository (see provenanceInstance). */
  configured: SigstoreInstance | null;
  /** Every image the build ran, named in the provenance (by digest where pinned). */
  toolImages: string[];
}

export interface AttestationOptions {
  skipAttestations?: boolean;
  /** A private Sigstore instance (ClientTrustConfig JSON); tests point it at a local one. */
  sigstoreTrustConfig?: File | null;
  oidcRequestUrl?: Secret | null;
  oidcRequestToken?: Secret | null;
}

/**
 * Decided before any build: a run that signs needs the workflow's OIDC token; without it the
 * error names the permission, and --skip-attestations for forks and private indexes.
 */
export async function attestationSetup(
  somethingToSign: boolean,
  dryRun: boolean,
  options: AttestationOptions,
): Promise<AttestationSetup | null> {
  if (options.skipAttestations || !somethingToSign) return null;
  const configured = options.sigstoreTrustConfig
    ? instanceFromTrustConfig(await options.sigstoreTrustConfig.contents())
    : null;
  const url = options.oidcRequestUrl;
  const token = options.oidcRequestToken;
  if ((!url || !token) && !dryRun) {
    throw new PlanError(
      "signing the release's provenance (GitHub attestations, PEP 740, the image signature) " +
        `needs the workflow's OIDC token. ${ID_TOKEN_PERMISSION}`,
    );
  }
  return {
    idToken: {
      requestUrl: () => url?.plaintext() ?? Promise.resolve(""),
      requestToken: () => token?.plaintext() ?? Promise.resolve(""),
    },
    configured,
    toolImages: Object.values(IMAGES),
  };
}

/**
 * The instance that signs the SLSA provenance and the image: the configured one, else, as
 * @actions/attest picks it, public-good for a public repository and GitHub's own for a private
 * or internal one (the token's `repository_visibility`).
 */
export function provenanceInstance(
  setup: AttestationSetup,
  claims: Record<string, unknown>,
): SigstoreInstance {
  if (setup.configured) return setup.configured;
  return claims.repository_visibility === "public" ? PUBLIC_GOOD : GITHUB_PRIVATE;
}

/** PEP 740 attestations need a transparency log PyPI trusts: public-good unless configured. */
export function pep740Instance(setup: AttestationSetup): SigstoreInstance {
  return setup.configured ?? PUBLIC_GOOD;
}
