/**
 * The checks `verify` runs on a published release, and `release` on its own draft before making
 * it public: every asset against the manifest and the signed provenance, the image's digest and
 * signature, and each distribution's provenance on the package index. Each check says what held
 * and what did not; nothing here throws for a failed check.
 */
import { createHash } from "node:crypto";
import {
  COSIGN_SIGN_V1,
  PROVENANCE_FILE,
  PYPI_PUBLISH_V1,
  SLSA_PROVENANCE_V1,
} from "../plan/provenance.js";
import {
  MANIFEST_FILE,
  parseReleaseManifest,
  type ReleaseManifest,
} from "../plan/release-manifest.js";
import {
  type GithubTarget,
  githubAttestations,
  readReleaseAssets,
} from "../publishers/github/index.js";
import type { PackageIndex } from "../publishers/pypi/index.js";
import { fileProvenance } from "../publishers/pypi/integrity.js";
import { attachedBundles, type ImageAccess, indexDigest } from "../publishers/registry/index.js";
import {
  AttestationError,
  bundleFromAttestation,
  type SigstoreBundle,
  signedByWorkflow,
  verifyAttestation,
} from "../publishers/sigstore/index.js";

export interface Check {
  subject: string;
  check: string;
  held: boolean;
  detail: string;
}

export interface VerifyTarget {
  github: GithubTarget;
  /** owner/name whose workflow must have signed everything. */
  repository: string;
  /** The instance's trusted root; null: signatures cannot be checked here (said so). */
  trustedRoot: unknown | null;
  transparencyLog: boolean;
  /** Registry login for the image (null: anonymous pull). */
  registry: (repository: string) => Promise<ImageAccess>;
  /** The indexes whose provenance is checked, and the image: false when not published. */
  indexes: PackageIndex[];
  image: boolean;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function attested(
  target: VerifyTarget,
  bundle: SigstoreBundle | null,
  predicateType: string,
  sha: string,
): Promise<{ held: boolean; detail: string }> {
  if (!bundle) return { held: false, detail: `no ${PROVENANCE_FILE} on the release` };
  if (target.trustedRoot === null) {
    return {
      held: false,
      detail: "signed by GitHub's private Sigstore: check with gh attestation verify",
    };
  }
  try {
    await verifyAttestation(bundle, {
      repository: target.repository,
      predicateType,
      sha256: sha,
      trustedRoot: target.trustedRoot,
      transparencyLog: target.transparencyLog,
    });
    return { held: true, detail: `signed by ${target.repository}'s workflow` };
  } catch (error) {
    if (error instanceof AttestationError) return { held: false, detail: error.message };
    throw error;
  }
}

async function imageChecks(
  target: VerifyTarget,
  manifest: ReleaseManifest,
  provenance: SigstoreBundle | null,
): Promise<Check[]> {
  const checks: Check[] = [];
  const [first] = manifest.image?.references ?? [];
  if (!first) return checks;
  const repository = first.slice(0, first.lastIndexOf(":"));
  const access = await target.registry(repository);
  let digest: string | null = null;
  for (const reference of manifest.image?.references ?? []) {
    try {
      const found = await indexDigest(access, reference.slice(reference.lastIndexOf(":") + 1));
      const same = digest === null || found === digest;
      digest ??= found;
      checks.push({
        subject: reference,
        check: "points at the attested index",
        held: same,
        detail: found,
      });
    } catch (error) {
      checks.push({
        subject: reference,
        check: "points at the attested index",
        held: false,
        detail: reason(error),
      });
    }
  }
  if (!digest) return checks;
  const hex = digest.replace("sha256:", "");
  const inProvenance = await attested(target, provenance, SLSA_PROVENANCE_V1, hex);
  checks.push({
    subject: `${repository}@${digest}`,
    check: "attested by the provenance",
    ...inProvenance,
  });
  let signature = { held: false, detail: "no cosign signature attached (OCI referrers)" };
  try {
    for (const { bundle, predicateType } of await attachedBundles(access, digest)) {
      if (predicateType !== COSIGN_SIGN_V1) continue;
      signature = await attested(target, bundle, COSIGN_SIGN_V1, hex);
      if (signature.held) break;
    }
  } catch (error) {
    signature = { held: false, detail: reason(error) };
  }
  checks.push({ subject: `${repository}@${digest}`, check: "signature", ...signature });
  return checks;
}

async function indexChecks(target: VerifyTarget, manifest: ReleaseManifest): Promise<Check[]> {
  const checks: Check[] = [];
  const python = manifest.python;
  if (!python) return checks;
  const dists = manifest.files.filter((f) => f.kind === "wheel" || f.kind === "sdist");
  for (const index of target.indexes) {
    for (const dist of dists) {
      const check = `provenance on ${index.name}`;
      try {
        const bundles = await fileProvenance(index, python.project, python.version, dist.name);
        const entry = bundles?.find(
          (b) => b.publisher.repository?.toLowerCase() === target.repository.toLowerCase(),
        );
        if (!entry) {
          const detail = bundles
            ? `published by ${bundles.map((b) => b.publisher.repository).join(", ")}, not ${target.repository}`
            : "none: uploaded without a PEP 740 attestation";
          checks.push({ subject: dist.name, check, held: false, detail });
          continue;
        }
        let result = { held: false, detail: "no attestation" };
        for (const attestation of entry.attestations) {
          if (target.trustedRoot === null) break;
          try {
            const verified = await verifyAttestation(bundleFromAttestation(attestation as never), {
              repository: target.repository,
              predicateType: PYPI_PUBLISH_V1,
              sha256: dist.sha256,
              trustedRoot: target.trustedRoot,
              transparencyLog: true,
            });
            const workflow = entry.publisher.workflow ?? "";
            result = signedByWorkflow(verified.certificate, target.repository, workflow)
              ? { held: true, detail: `trusted publisher ${target.repository} ${workflow}` }
              : {
                  held: false,
                  detail: `not signed by the trusted publisher's workflow ${workflow}`,
                };
          } catch (error) {
            result = { held: false, detail: reason(error) };
          }
          if (result.held) break;
        }
        checks.push({ subject: dist.name, check, ...result });
      } catch (error) {
        checks.push({ subject: dist.name, check, held: false, detail: reason(error) });
      }
    }
  }
  return checks;
}

/** Every check of a release on GitHub (a draft, for `release`; published, for `verify`). */
export async function checkRelease(target: VerifyTarget): Promise<Check[]> {
  const head = await readReleaseAssets(target.github, [MANIFEST_FILE, PROVENANCE_FILE]);
  const manifestBytes = head?.get(MANIFEST_FILE);
  if (!head || !manifestBytes) {
    return [
      {
        subject: target.github.tag,
        check: `holds ${MANIFEST_FILE}`,
        held: false,
        detail: head ? "the release has no manifest" : "no release for this tag",
      },
    ];
  }
  const manifest = parseReleaseManifest(manifestBytes.toString("utf8"));
  const bundleBytes = head.get(PROVENANCE_FILE);
  const provenance = bundleBytes
    ? (JSON.parse(bundleBytes.toString("utf8")) as SigstoreBundle)
    : null;
  const names = manifest.files.map((f) => f.name);
  const assets = (await readReleaseAssets(target.github, names)) ?? new Map<string, Buffer>();
  const checks: Check[] = [];
  const manifestSha = sha256(manifestBytes);
  const recorded = await githubAttestations(target.github, manifestSha).catch(() => []);
  checks.push({
    subject: MANIFEST_FILE,
    check: "attested by the provenance",
    ...(await attested(target, provenance, SLSA_PROVENANCE_V1, manifestSha)),
  });
  checks.push({
    subject: PROVENANCE_FILE,
    check: "recorded through GitHub's attestations API",
    held: recorded.length > 0,
    detail:
      recorded.length > 0 ? `${recorded.length} attestation(s) for the manifest's digest` : "none",
  });
  for (const file of manifest.files) {
    const bytes = assets.get(file.name);
    const actual = bytes ? sha256(bytes) : null;
    checks.push({
      subject: file.name,
      check: "matches the manifest",
      held: actual === file.sha256 && bytes?.length === file.size,
      detail: actual === null ? "missing from the release" : `sha256:${actual}`,
    });
    if (actual !== null) {
      checks.push({
        subject: file.name,
        check: "attested by the provenance",
        ...(await attested(target, provenance, SLSA_PROVENANCE_V1, actual)),
      });
    }
  }
  if (target.image) checks.push(...(await imageChecks(target, manifest, provenance)));
  checks.push(...(await indexChecks(target, manifest)));
  return checks;
}

/** The table of checks, one line each, failed ones marked. */
export function renderChecks(title: string, checks: readonly Check[]): string {
  const failed = checks.filter((c) => !c.held).length;
  const width = Math.max(0, ...checks.map((c) => c.subject.length));
  const lines = checks.map(
    (c) => `  ${c.held ? "held  " : "FAILED"}  ${c.subject.padEnd(width)}  ${c.check}: ${c.detail}`,
  );
  const verdict =
    failed === 0
      ? `OK: all ${checks.length} checks held`
      : `FAILED: ${failed} of ${checks.length} checks did not hold`;
  return [title, ...lines, "", verdict].join("\n");
}
