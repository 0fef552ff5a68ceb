/**
 * Image signatures as cosign v3 stores them: Sigstore bundles attached to the image index as
 * OCI 1.1 referrers (cosign specs/BUNDLE_SPEC.md), written by @sigstore/oci (what
 * actions/attest's push-to-registry uses), which falls back to the referrers tag schema
 * (`sha256-<hex>` index) where the registry has no referrers API. Read back the way cosign does:
 * the referrers API, then that tag.
 */

import type { SigstoreBundle } from "../sigstore/index.js";
import { loadOci, type OciCredentials } from "../sigstore/packages.js";

export const BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const FETCH = { timeout: 60_000, retry: 2 };

export class RegistryError extends Error {
  override name = "RegistryError";
}

/** `host/owner/name` and, where the registry needs them, credentials. */
export interface ImageAccess {
  repository: string;
  credentials: OciCredentials | null;
}

function split(repository: string): { host: string; path: string } {
  const slash = repository.indexOf("/");
  return { host: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

/** http for a registry on this machine (tests), https for every other, as @sigstore/oci does. */
function baseUrl(host: string): string {
  const local = /^(localhost|127\.\d+\.\d+\.\d+)(:\d+)?$/.test(host);
  return `${local ? "http" : "https"}://${host}`;
}

/**
 * The credentials to sign in with: none for a registry that answers `/v2/` without them (a
 * local one), since @sigstore/oci's sign-in expects an authentication challenge.
 */
async function credentialsFor(access: ImageAccess): Promise<OciCredentials | undefined> {
  if (!access.credentials) return undefined;
  const answer = await fetch(`${baseUrl(split(access.repository).host)}/v2/`, {
    signal: AbortSignal.timeout(FETCH.timeout),
  }).catch(() => null);
  return answer?.status === 200 ? undefined : access.credentials;
}

/** The index digest a tag points at (`sha256:<hex>`), from the registry. */
export async function indexDigest(access: ImageAccess, tag: string): Promise<string> {
  const { getImageDigest } = await loadOci();
  try {
    return await getImageDigest({
      imageName: access.repository,
      imageTag: tag,
      credentials: await credentialsFor(access),
      fetchOpts: FETCH,
    });
  } catch (error) {
    throw new RegistryError(
      `reading the digest of ${access.repository}:${tag} failed: ${(error as Error).message}`,
    );
  }
}

/** Attaches a bundle to the image as a referrer, annotated as cosign v3 annotates it. */
export async function attachBundle(
  access: ImageAccess,
  digest: string,
  bundle: SigstoreBundle,
  predicateType: string,
): Promise<string> {
  const { attachArtifactToImage } = await loadOci();
  try {
    const descriptor = await attachArtifactToImage({
      imageName: access.repository,
      imageDigest: digest,
      credentials: await credentialsFor(access),
      artifact: Buffer.from(JSON.stringify(bundle)),
      mediaType: bundle.mediaType,
      annotations: {
        "dev.sigstore.bundle.content": "dsse-envelope",
        "dev.sigstore.bundle.predicateType": predicateType,
      },
      fetchOpts: FETCH,
    });
    return descriptor.digest;
  } catch (error) {
    throw new RegistryError(
      `attaching a signature to ${access.repository}@${digest} failed: ${(error as Error).message}` +
        " (the registry login needs push rights: `permissions: packages: write` on ghcr.io)",
    );
  }
}

/** A bearer token for pulling, from the registry's own challenge (ghcr.io, Docker Hub). */
async function pullToken(access: ImageAccess, challenge: string): Promise<string | null> {
  const fields = Object.fromEntries(
    [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  if (!fields.realm) return null;
  const url = new URL(fields.realm);
  if (fields.service) url.searchParams.set("service", fields.service);
  url.searchParams.set("scope", `repository:${split(access.repository).path}:pull`);
  const headers: Record<string, string> = {};
  if (access.credentials?.password) {
    const { username, password } = access.credentials;
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  }
  const answer = await fetch(url, { headers, signal: AbortSignal.timeout(FETCH.timeout) });
  if (!answer.ok) return null;
  const body = (await answer.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token ?? null;
}

async function registryGet(
  access: ImageAccess,
  path: string,
  accept: string,
  auth: { token: string | null },
): Promise<Response> {
  const { host, path: name } = split(access.repository);
  const url = `${baseUrl(host)}/v2/${name}/${path}`;
  const get = () =>
    fetch(url, {
      headers: { accept, ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}) },
      signal: AbortSignal.timeout(FETCH.timeout),
    });
  let answer = await get();
  const challenge = answer.headers.get("www-authenticate");
  if (answer.status === 401 && challenge && auth.token === null) {
    auth.token = await pullToken(access, challenge);
    if (auth.token) answer = await get();
  }
  return answer;
}

export interface AttachedBundle {
  predicateType: string | null;
  bundle: SigstoreBundle;
}

const INDEX = "application/vnd.oci.image.index.v1+json";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** The Sigstore bundles attached to a digest, as cosign v3 and `gh --bundle-from-oci` find them. */
export async function attachedBundles(
  access: ImageAccess,
  digest: string,
): Promise<AttachedBundle[]> {
  const auth = { token: null as string | null };
  let listing = await registryGet(access, `referrers/${digest}`, INDEX, auth);
  if (listing.status === 404) {
    listing = await registryGet(access, `manifests/${digest.replace(":", "-")}`, INDEX, auth);
    if (listing.status === 404) return [];
  }
  if (!listing.ok) {
    throw new RegistryError(
      `listing the signatures of ${access.repository}@${digest} failed: HTTP ${listing.status}`,
    );
  }
  const index = (await listing.json()) as {
    manifests?: { digest: string; artifactType?: string }[];
  };
  const found: AttachedBundle[] = [];
  for (const entry of index.manifests ?? []) {
    if (!entry.artifactType?.startsWith("application/vnd.dev.sigstore.bundle")) continue;
    const manifest = (await (
      await registryGet(access, `manifests/${entry.digest}`, MANIFEST, auth)
    ).json()) as { layers?: { digest: string }[]; annotations?: Record<string, string> };
    const layer = manifest.layers?.[0];
    if (!layer) continue;
    const blob = await registryGet(access, `blobs/${layer.digest}`, "*/*", auth);
    found.push({
      predicateType: manifest.annotations?.["dev.sigstore.bundle.predicateType"] ?? null,
      bundle: (await blob.json()) as SigstoreBundle,
    });
  }
  return found;
}

/** One statement to attach to the image: its predicate type and its exact bytes. */
export interface ImageStatement {
  predicateType: string;
  statement: Buffer;
}

/**
 * Signs and attaches each statement unless the image already carries a bundle of the same
 * statement bytes (a re-run attaches nothing twice). Returns what happened to each.
 */
export async function signImage(
  access: ImageAccess,
  digest: string,
  statements: readonly ImageStatement[],
  sign: (statement: Buffer) => Promise<SigstoreBundle>,
): Promise<{ predicateType: string; outcome: "attached" | "already there" }[]> {
  const attached = await attachedBundles(access, digest);
  const payloads = new Set(attached.map((a) => a.bundle.dsseEnvelope?.payload));
  const results: { predicateType: string; outcome: "attached" | "already there" }[] = [];
  for (const { predicateType, statement } of statements) {
    if (payloads.has(statement.toString("base64"))) {
      results.push({ predicateType, outcome: "already there" });
      continue;
    }
    await attachBundle(access, digest, await sign(statement), predicateType);
    results.push({ predicateType, outcome: "attached" });
  }
  return results;
}
