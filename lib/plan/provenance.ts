/**
 * What a release attests, as in-toto v1 statements (pure data, no I/O):
 * - one SLSA build provenance statement for every staged file and the image's index digest,
 *   exactly as actions/attest-build-provenance builds it (@actions/attest
 *   `buildSLSAProvenancePredicate`), plus the tool images the build ran in;
 * - one PEP 740 publish statement per wheel and sdist (what PyPI stores as provenance);
 * - the image signature (cosign v3's sign/v1) and its CycloneDX SBOM attestation.
 * The statements' bytes are what is signed: JSON.stringify, no canonicalisation, as
 * @actions/attest and sigstore-python's StatementBuilder do.
 */
import { PlanError } from "./errors.js";

export const INTOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const PYPI_PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1";
export const COSIGN_SIGN_V1 = "https://sigstore.dev/cosign/sign/v1";
export const CYCLONEDX_BOM = "https://cyclonedx.org/bom";
const GITHUB_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1";
/** actions/attest's limit (`MAX_SUBJECT_COUNT`). */
const MAX_SUBJECTS = 1024;

/**
 * The release asset holding the signed provenance (a Sigstore bundle): `gh attestation verify
 * <file> --bundle provenance.sigstore.json` and `cosign verify-blob-attestation` read it. It is
 * also the record of what is attested: its statement names every file and the image it covers.
 */
export const PROVENANCE_FILE = "provenance.sigstore.json";

/** The file uv uploads beside a distribution as its PEP 740 attestation. */
export function attestationFileName(distribution: string): string {
  return `${distribution}.publish.attestation`;
}

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface Statement {
  _type: typeof INTOTO_STATEMENT_V1;
  subject: Subject[];
  predicateType: string;
  predicate: unknown;
}

const REQUIRED_CLAIMS = [
  "ref",
  "sha",
  "repository",
  "event_name",
  "workflow_ref",
  "job_workflow_ref",
  "repository_id",
  "repository_owner_id",
  "runner_environment",
  "run_id",
  "run_attempt",
] as const;

/** The GitHub Actions OIDC claims the SLSA predicate is made of. */
export type BuildClaims = Record<(typeof REQUIRED_CLAIMS)[number], string>;

/** Refuses a token that is not a GitHub Actions job's (the predicate would be made up). */
export function buildClaims(claims: Record<string, unknown>): BuildClaims {
  const missing = REQUIRED_CLAIMS.filter((c) => typeof claims[c] !== "string" || claims[c] === "");
  if (missing.length > 0) {
    throw new PlanError(
      `the OIDC token lacks the claims ${missing.join(", ")}: provenance is made from a GitHub ` +
        "Actions job's token (ACTIONS_ID_TOKEN_REQUEST_URL of the job that runs `dagger call`)",
    );
  }
  return claims as BuildClaims;
}

/** A tool image the build ran, as a SLSA resolved dependency (by digest where it is pinned). */
export function imageDependency(reference: string) {
  const [name, digest] = reference.split("@sha256:");
  return digest
    ? { uri: `docker://${name}`, digest: { sha256: digest } }
    : { uri: `docker://${reference}` };
}

function slsaPredicate(claims: BuildClaims, toolImages: readonly string[], server: string) {
  // "owner/repo/.github/workflows/release.yml@refs/tags/v1" -> path and ref (a ref may hold '@')
  const [path, ...ref] = claims.workflow_ref.replace(`${claims.repository}/`, "").split("@");
  return {
    buildDefinition: {
      buildType: GITHUB_BUILD_TYPE,
      externalParameters: {
        workflow: { ref: ref.join("@"), repository: `${server}/${claims.repository}`, path },
      },
      internalParameters: {
        github: {
          event_name: claims.event_name,
          repository_id: claims.repository_id,
          repository_owner_id: claims.repository_owner_id,
          runner_environment: claims.runner_environment,
        },
      },
      resolvedDependencies: [
        {
          uri: `git+${server}/${claims.repository}@${claims.ref}`,
          digest: { gitCommit: claims.sha },
        },
        ...toolImages.map(imageDependency),
      ],
    },
    runDetails: {
      builder: { id: `${server}/${claims.job_workflow_ref}` },
      metadata: {
        invocationId: `${server}/${claims.repository}/actions/runs/${claims.run_id}/attempts/${claims.run_attempt}`,
      },
    },
  };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Subjects sorted by name; refuses bad digests, duplicate names and too many subjects. */
export function normaliseSubjects(subjects: readonly Subject[]): Subject[] {
  if (subjects.length === 0) throw new PlanError("an attestation needs at least one subject");
  if (subjects.length > MAX_SUBJECTS) {
    throw new PlanError(`${subjects.length} subjects: GitHub allows at most ${MAX_SUBJECTS}`);
  }
  const seen = new Set<string>();
  for (const subject of subjects) {
    if (!SHA256_HEX.test(subject.digest.sha256)) {
      throw new PlanError(`subject ${subject.name}: sha256 must be 64 lowercase hex digits`);
    }
    if (seen.has(subject.name)) throw new PlanError(`subject ${subject.name} appears twice`);
    seen.add(subject.name);
  }
  return subjects
    .map((s) => ({ name: s.name, digest: { sha256: s.digest.sha256 } }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One SLSA provenance statement for every subject (files and the image). */
export function provenanceStatement(
  subjects: readonly Subject[],
  claims: BuildClaims,
  toolImages: readonly string[],
  server = "https://github.com",
): Statement {
  return {
    _type: INTOTO_STATEMENT_V1,
    subject: normaliseSubjects(subjects),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: slsaPredicate(claims, toolImages, server),
  };
}

/**
 * The image as a subject: its repository (no tag, lowercased) and the index digest, as
 * actions/attest names it; `gh attestation verify oci://...` looks attestations up by digest.
 */
export function imageSubject(repository: string, indexDigest: string): Subject {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(indexDigest)?.[1];
  if (!hex) throw new PlanError(`image digest must be sha256:<64 hex>, got ${indexDigest}`);
  return { name: repository.toLowerCase(), digest: { sha256: hex } };
}

/** The bytes signed for a PEP 740 publish attestation (sigstore-python's serialisation). */
export function publishStatementBytes(distribution: string, sha256: string): Buffer {
  if (!SHA256_HEX.test(sha256)) throw new PlanError(`${distribution}: bad sha256 ${sha256}`);
  const statement: Statement = {
    _type: INTOTO_STATEMENT_V1,
    subject: [{ name: distribution, digest: { sha256 } }],
    predicateType: PYPI_PUBLISH_V1,
    predicate: null,
  };
  return Buffer.from(JSON.stringify(statement), "utf8");
}

/** The statement of an image signature or image attestation, for the index digest. */
export function imageStatement(
  subject: Subject,
  predicateType: string,
  predicate: unknown,
): Buffer {
  const statement: Statement = {
    _type: INTOTO_STATEMENT_V1,
    subject: [subject],
    predicateType,
    predicate,
  };
  return Buffer.from(JSON.stringify(statement), "utf8");
}

export function statementBytes(statement: Statement): Buffer {
  return Buffer.from(JSON.stringify(statement), "utf8");
}

/**
 * The subjects that disagree with the bytes about to be published: each named subject must
 * carry the digest `actual` has for it, and every file of `actual` must be a subject. Empty
 * when they agree; otherwise one line per file, naming it.
 */
export function subjectMismatches(
  subjects: readonly Subject[],
  actual: ReadonlyMap<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [name, sha256] of actual) {
    const subject = subjects.find((s) => s.name === name);
    if (!subject) problems.push(`${name}: not a subject of the attestation`);
    else if (subject.digest.sha256 !== sha256) {
      problems.push(
        `${name}: the attestation says sha256:${subject.digest.sha256}, the file is sha256:${sha256}`,
      );
    }
  }
  return problems;
}

/** Reads a signed statement back (from a bundle's DSSE payload). */
export function parseStatement(payload: Buffer): Statement {
  const value = JSON.parse(payload.toString("utf8")) as Partial<Statement>;
  if (value._type !== INTOTO_STATEMENT_V1 || !Array.isArray(value.subject)) {
    throw new PlanError("not an in-toto v1 statement");
  }
  return value as Statement;
}
