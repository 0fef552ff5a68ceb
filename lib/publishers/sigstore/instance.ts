import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTuf } from "./packages.js";

/**
 * A Sigstore instance: where certificates, transparency-log entries and timestamps come from,
 * and the trusted root that verifies what it issued.
 */
export interface SigstoreInstance {
  name: string;
  fulcioUrl: string;
  /** Rekor v1; PEP 740 attestations need it (PyPI keeps the log entry, not timestamps). */
  rekorUrl: string | null;
  tsaUrl: string | null;
  /** The trusted root (protobuf JSON); null when it cannot be had here (GitHub's instance). */
  trustedRoot(): Promise<unknown | null>;
}

/** sigstore.dev: public repositories and every PyPI attestation (as @actions/attest picks it). */
export const PUBLIC_GOOD: SigstoreInstance = {
  name: "Sigstore's public-good instance",
  fulcioUrl: "https://fulcio.sigstore.dev",
  rekorUrl: "https://rekor.sigstore.dev",
  tsaUrl: null,
  async trustedRoot() {
    const { getTrustedRoot } = await loadTuf();
    // TUF keeps its metadata on disk; this runtime's temp dir is the call's own.
    return getTrustedRoot({ cachePath: await mkdtemp(join(tmpdir(), "sigstore-tuf-")) });
  },
};

/**
 * GitHub's instance for private and internal repositories (@actions/attest `endpoints.ts`): no
 * public log, a timestamp instead. Its trusted root is GitHub's (`gh` embeds it); this module
 * does not carry it, so such attestations are checked with `gh attestation verify` only.
 */
export const GITHUB_PRIVATE: SigstoreInstance = {
  name: "GitHub's Sigstore instance",
  fulcioUrl: "https://fulcio.githubapp.com",
  rekorUrl: null,
  tsaUrl: "https://timestamp.githubapp.com",
  trustedRoot: async () => null,
};

const TSA_PATH = "/api/v1/timestamp";

function firstUrl(list: unknown, what: string, required: boolean): string | null {
  const url = Array.isArray(list) ? (list[0] as { url?: unknown } | undefined)?.url : undefined;
  if (typeof url === "string" && URL.canParse(url)) return url.replace(/\/+$/, "");
  if (required) throw new Error(`the Sigstore trust config names no ${what}`);
  return null;
}

/**
 * A private instance from a ClientTrustConfig (the file `sigstore --trust-config` and cosign's
 * `--trusted-root`/`--signing-config` read): its trusted root and signing config v0.2 (the first
 * of `caUrls`, `rekorTlogUrls`, `tsaUrls`).
 */
export function instanceFromTrustConfig(text: string): SigstoreInstance {
  let config: { trustedRoot?: unknown; signingConfig?: Record<string, unknown> };
  try {
    config = JSON.parse(text);
  } catch {
    throw new Error("--sigstore-trust-config is not JSON (a Sigstore ClientTrustConfig)");
  }
  const signing = config.signingConfig;
  if (!config.trustedRoot || !signing) {
    throw new Error(
      "--sigstore-trust-config must be a Sigstore ClientTrustConfig: trustedRoot and signingConfig",
    );
  }
  const tsa = firstUrl(signing.tsaUrls, "timestamp authority", false);
  const root = config.trustedRoot;
  return {
    name: "the Sigstore instance of --sigstore-trust-config",
    fulcioUrl: firstUrl(signing.caUrls, "certificate authority (caUrls)", true) as string,
    rekorUrl: firstUrl(signing.rekorTlogUrls, "transparency log", false),
    tsaUrl: tsa?.endsWith(TSA_PATH) ? tsa.slice(0, -TSA_PATH.length) : tsa,
    trustedRoot: async () => root,
  };
}
