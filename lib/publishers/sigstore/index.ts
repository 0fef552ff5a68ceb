export {
  ID_TOKEN_PERMISSION,
  type IdTokenSource,
  MissingIdTokenError,
  requestIdToken,
  tokenClaims,
} from "./identity-token.js";
export {
  GITHUB_PRIVATE,
  instanceFromTrustConfig,
  PUBLIC_GOOD,
  type SigstoreInstance,
} from "./instance.js";
export type { SigstoreBundle } from "./packages.js";
export {
  attestationFromBundle,
  attestationSubject,
  bundleFromAttestation,
  type Pep740Attestation,
  parseAttestation,
} from "./pep740.js";
export { bundlePayload, SigningError, signStatement } from "./sign.js";
export {
  AttestationError,
  type CertificateFacts,
  signedByWorkflow,
  type VerifiedAttestation,
  type VerifyPolicy,
  verifyAttestation,
} from "./verify.js";
