/**
 * sigstore-js (@sigstore/sign, bundle, verify, core, protobuf-specs, tuf, oci), loaded on the
 * first signature or verification of a call, through specifiers TypeScript does not follow: the
 * engine's scan of src/ never reads their declarations, and a `dagger call` that signs nothing
 * never pays their import (@sigstore/sign and @sigstore/oci pull make-fetch-happen: hundreds of
 * milliseconds to seconds on a busy machine). The shapes below are the few members this module
 * calls; test/publishers/sigstore.test.ts runs every one of them for real, against a local
 * Sigstore and a local OCI registry.
 */

/** A Sigstore bundle as JSON (v0.3: one certificate, DSSE envelope), as the libraries write it. */
export interface SigstoreBundle {
  mediaType: string;
  verificationMaterial: {
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    tlogEntries: unknown[];
    timestampVerificationData?: { rfc3161Timestamps: unknown[] };
  };
  dsseEnvelope?: {
    payload: string;
    payloadType: string;
    signatures: { sig: string; keyid: string }[];
  };
}

interface Timing {
  timeout: number;
  retry: number;
}

interface SignModule {
  FulcioSigner: new (
    options: { identityProvider: { getToken(): Promise<string> }; fulcioBaseURL: string } & Timing,
  ) => unknown;
  RekorWitness: new (options: { rekorBaseURL: string; entryType: "dsse" } & Timing) => unknown;
  TSAWitness: new (options: { tsaBaseURL: string } & Timing) => unknown;
  DSSEBundleBuilder: new (options: {
    signer: unknown;
    witnesses: unknown[];
  }) => { create(artifact: { data: Buffer; type: string }): Promise<unknown> };
}

interface BundleModule {
  bundleToJSON(bundle: unknown): SigstoreBundle;
  bundleFromJSON(json: unknown): unknown;
}

export interface VerifiedSigner {
  identity?: { subjectAlternativeName?: string };
}

interface VerifyModule {
  toTrustMaterial(root: unknown): unknown;
  toSignedEntity(bundle: unknown): unknown;
  Verifier: new (
    trust: unknown,
    options: { tlogThreshold: number; ctlogThreshold: number; timestampThreshold: number },
  ) => { verify(entity: unknown, policy: { subjectAlternativeName?: RegExp }): VerifiedSigner };
}

interface CoreModule {
  X509Certificate: {
    parse(der: Buffer): { extension(oid: string): { value: Buffer } | undefined };
  };
  ASN1Obj: { parseBuffer(der: Buffer): { value: Buffer } };
}

interface ProtobufModule {
  TrustedRoot: { fromJSON(json: unknown): unknown };
}

interface TufModule {
  getTrustedRoot(options: { cachePath: string }): Promise<unknown>;
}

export interface OciCredentials {
  username: string;
  password: string;
}

interface OciFetchOptions {
  timeout: number;
  retry: number;
}

interface OciModule {
  attachArtifactToImage(options: {
    imageName: string;
    imageDigest: string;
    credentials?: OciCredentials;
    artifact: Buffer;
    mediaType: string;
    annotations: Record<string, string>;
    fetchOpts: OciFetchOptions;
  }): Promise<{ digest: string }>;
  getImageDigest(options: {
    imageName: string;
    imageTag: string;
    credentials?: OciCredentials;
    fetchOpts: OciFetchOptions;
  }): Promise<string>;
}

export interface SigstoreModules {
  sign: SignModule;
  bundle: BundleModule;
}

export interface VerifierModules {
  verify: VerifyModule;
  bundle: BundleModule;
  core: CoreModule;
  protobuf: ProtobufModule;
}

// Specifiers held in variables: TypeScript leaves these imports alone (typed `any`), Node
// resolves them from this file at run time exactly like literal ones.
const SIGN = "@sigstore/sign";
const BUNDLE = "@sigstore/bundle";
const VERIFY = "@sigstore/verify";
const CORE = "@sigstore/core";
const PROTOBUF = "@sigstore/protobuf-specs";
const TUF = "@sigstore/tuf";
const OCI = "@sigstore/oci";

let signing: Promise<SigstoreModules> | undefined;
let verifying: Promise<VerifierModules> | undefined;
let tuf: Promise<TufModule> | undefined;
let oci: Promise<OciModule> | undefined;

/** @sigstore/sign and @sigstore/bundle, imported once per process. */
export function loadSigning(): Promise<SigstoreModules> {
  signing ??= Promise.all([import(SIGN), import(BUNDLE)]).then(([sign, bundle]) => ({
    sign,
    bundle,
  }));
  return signing;
}

/** @sigstore/verify and what reading a bundle's certificate needs, imported once. */
export function loadVerifying(): Promise<VerifierModules> {
  verifying ??= Promise.all([import(VERIFY), import(BUNDLE), import(CORE), import(PROTOBUF)]).then(
    ([verify, bundle, core, protobuf]) => ({ verify, bundle, core, protobuf }),
  );
  return verifying;
}

/** @sigstore/tuf: the public-good instance's trusted root, fetched through TUF. */
export function loadTuf(): Promise<TufModule> {
  tuf ??= import(TUF);
  return tuf;
}

/** @sigstore/oci: attaching bundles to an image as OCI referrers, resolving a tag's digest. */
export function loadOci(): Promise<OciModule> {
  oci ??= import(OCI);
  return oci;
}
