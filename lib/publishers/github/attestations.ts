import { createHash } from "node:crypto";
import type { AttestationBundle, StoredAttestation } from "./api.js";
import { GithubPublishError, githubStep, httpStatus, repositoryLabel } from "./errors.js";
import type { GithubSession } from "./release-assets.js";

function payloadDigest(bundle: AttestationBundle | null | undefined): string | null {
  const payload = bundle?.dsseEnvelope?.payload;
  return typeof payload === "string"
    ? createHash("sha256").update(Buffer.from(payload, "base64")).digest("hex")
    : null;
}

/** The attestations GitHub holds for a digest (`sha256:<hex>`), first page of 100. */
export async function attestationsFor(
  session: GithubSession,
  sha256: string,
): Promise<StoredAttestation[]> {
  const { client, repository } = session;
  return githubStep(`listing the attestations of sha256:${sha256}`, repository, async () => {
    try {
      const answer = await client.rest.repos.listAttestations({
        ...repository,
        subject_digest: `sha256:${sha256}`,
        per_page: 100,
      });
      return answer.data.attestations ?? [];
    } catch (error) {
      // GitHub answers 404 for a digest it holds no attestation of.
      if (httpStatus(error) === 404) return [];
      throw error;
    }
  });
}

/**
 * Records a bundle through GitHub's attestations API (what `gh attestation verify` reads) unless
 * GitHub already holds one for the same statement: a re-run posts nothing twice. `lookup` is the
 * sha256 of one of the statement's subjects.
 */
export async function recordAttestation(
  session: GithubSession,
  bundle: AttestationBundle,
  lookup: string,
): Promise<"recorded" | "already there"> {
  const want = payloadDigest(bundle);
  const stored = await attestationsFor(session, lookup);
  if (want !== null && stored.some((a) => payloadDigest(a.bundle) === want)) {
    return "already there";
  }
  const { client, repository } = session;
  await githubStep("recording the attestation", repository, async () => {
    try {
      await client.rest.repos.createAttestation({ ...repository, bundle });
    } catch (error) {
      const status = httpStatus(error);
      if (status !== 403 && status !== 404) throw error;
      throw new GithubPublishError(
        `GitHub refused to record the attestation on ${repositoryLabel(repository)} (HTTP ` +
          `${status}): the release job needs \`permissions: attestations: write\` (and ` +
          "`id-token: write`), and the token must be the repository's own GITHUB_TOKEN.",
      );
    }
  });
  return "recorded";
}
