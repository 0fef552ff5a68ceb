import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  attestationFileName,
  buildClaims,
  COSIGN_SIGN_V1,
  CYCLONEDX_BOM,
  imageStatement,
  imageSubject,
  PROVENANCE_FILE,
  parseStatement,
  provenanceStatement,
  publishStatementBytes,
  statementBytes,
  subjectMismatches,
} from "../../plan/provenance.js";
import { MANIFEST_FILE, renderReleaseManifest } from "../../plan/release-manifest.js";
import { imageSbom, parseTargetBom } from "../../plan/sbom.js";
import {
  type GithubTarget,
  readReleaseAssets,
  recordGithubAttestation,
  stageGithubRelease,
} from "../../publishers/github/index.js";
import { type ImageAccess, indexDigest, signImage } from "../../publishers/registry/index.js";
import {
  attestationFromBundle,
  attestationSubject,
  bundlePayload,
  parseAttestation,
  requestIdToken,
  type SigstoreBundle,
  signStatement,
  tokenClaims,
} from "../../publishers/sigstore/index.js";
import { RUNTIME_BASES } from "../../stages/images.js";
import { pep740Instance, provenanceInstance } from "../attestation-setup.js";
import type { ReleaseArtifacts, ReleaseRun } from "../release-run.js";
import type { Destination } from "./destination.js";

const LABEL = "Provenance (Sigstore)";
const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/** The files the provenance covers, by name: every staged file and the manifest itself. */
export function attestedFiles(
  artifacts: Pick<ReleaseArtifacts, "files" | "manifest">,
): Map<string, string> {
  const files = new Map<string, string>();
  if (artifacts.manifest) {
    for (const file of artifacts.manifest.files) files.set(file.name, file.sha256);
    files.set(MANIFEST_FILE, sha256(renderReleaseManifest(artifacts.manifest)));
  } else {
    for (const file of artifacts.files.facts) files.set(file.name, file.sha256);
  }
  return files;
}

/** The distributions that get PEP 740 attestations: uploaded with trusted publishing. */
export function attestedDistributions(run: ReleaseRun): string[] {
  const python = run.ctx.plan.python;
  if (!python || run.flags.skipPypi) return [];
  const indexes = run.flags.skipTestPypi ? [run.pypi.pypi] : [run.pypi.testPypi, run.pypi.pypi];
  const trusted = indexes.some((d) => d.upload === null || d.upload.kind === "trusted publishing");
  return trusted ? [...python.wheels, python.sdist] : [];
}

function imageSigned(run: ReleaseRun): boolean {
  return !run.flags.skipImage && run.ctx.plan.image !== null;
}

/**
 * Refuses to sign (or to trust a staged record of) subjects that are not the bytes being
 * published: the files this run holds are hashed again and compared with what is attested.
 */
async function checkLocalBytes(
  run: ReleaseRun,
  artifacts: ReleaseArtifacts,
  files: Map<string, string>,
) {
  const problems: string[] = [];
  for (const [name, path] of Object.entries(artifacts.files.paths)) {
    const actual = sha256(await readFile(path));
    const attested = files.get(name);
    if (attested !== undefined && attested !== actual) {
      problems.push(`${name}: the manifest says sha256:${attested}, the file is sha256:${actual}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Refusing to sign for ${run.ctx.plan.tag}: ${problems.join("; ")}. Nothing more was ` +
        "published; re-run with --rebuild to build and stage the release again.",
    );
  }
}

/** Reads a staged provenance bundle and refuses it when its subjects are not this release's. */
export function checkStagedProvenance(
  bytes: Buffer,
  files: Map<string, string>,
  image: { repository: string; digest: string } | null | "not known yet",
): SigstoreBundle {
  const bundle = JSON.parse(bytes.toString("utf8")) as SigstoreBundle;
  const statement = parseStatement(bundlePayload(bundle));
  const expected = new Map(files);
  if (image && image !== "not known yet") {
    expected.set(image.repository.toLowerCase(), image.digest.replace("sha256:", ""));
  }
  const problems = subjectMismatches(statement.subject, expected);
  // Before the image is resolved, its subject (a repository, not a file) is checked later.
  const extra = statement.subject
    .filter((s) => !expected.has(s.name) && !(image === "not known yet" && s.name.includes("/")))
    .map((s) => s.name);
  if (extra.length > 0) problems.push(`${extra.join(", ")}: attested but not part of this release`);
  if (problems.length > 0) {
    throw new Error(
      `The staged ${PROVENANCE_FILE} does not attest this release's bytes:\n  ` +
        `${problems.join("\n  ")}\nNothing was published from it. If the staged files are ` +
        `right, delete ${PROVENANCE_FILE} from the draft and run again (it is signed anew); ` +
        "otherwise re-run with --rebuild.",
    );
  }
  return bundle;
}

async function writeAndStage(run: ReleaseRun, github: GithubTarget, files: Record<string, string>) {
  const plan = run.ctx.plan;
  const assets = await Promise.all(
    Object.entries(files).map(async ([name, text]) => {
      const path = join(run.dir, name);
      await writeFile(path, text);
      return { name, path };
    }),
  );
  if (!plan.github || assets.length === 0) return;
  await stageGithubRelease({
    ...github,
    commit: plan.commit?.sha ?? null,
    name: plan.github.releaseName,
    prerelease: plan.github.prerelease,
    makeLatest: plan.github.makeLatest,
    assets,
    manifest: null,
    replaceChangedAssets: false,
  });
}

async function imageAccess(run: ReleaseRun): Promise<ImageAccess | null> {
  const image = run.ctx.plan.image;
  if (!image || !imageSigned(run)) return null;
  const login = run.registry;
  return {
    repository: image.repository,
    credentials: login
      ? { username: login.username, password: await login.password.plaintext() }
      : null,
  };
}

/**
 * The image SBOM's predicate, from the SBOMs staged beside the archives of the targets the
 * image's platforms are built from: the bytes this run holds and the provenance attests.
 */
function imageSbomPredicate(run: ReleaseRun, artifacts: ReleaseArtifacts) {
  const plan = run.ctx.plan;
  const platforms = (plan.image?.variants ?? []).map(({ platform, target }) => {
    const sbom = plan.targets.find((t) => t.triple === target)?.sbom;
    const path = sbom ? artifacts.files.paths[sbom] : undefined;
    const bom = sbom && path ? parseTargetBom(sbom, readFileSync(path, "utf8")) : null;
    return { platform, target, bom };
  });
  const bases = [...new Set((plan.image?.variants ?? []).map((v) => RUNTIME_BASES[v.base]))];
  return imageSbom(plan, bases, platforms, run.ctx.sourceDateEpoch);
}

/** What the image SBOM lists, in a few words for the report. */
function imageSbomSummary(sbom: ReturnType<typeof imageSbom>): string {
  const components = (sbom.components ?? []) as { type: string }[];
  const count = (type: string) => components.filter((c) => c.type === type).length;
  return `the base image, ${count("application")} binaries, ${count("library")} crates`;
}

/**
 * One SLSA provenance statement for every staged file, the manifest and the pushed image,
 * signed once, recorded through GitHub's attestations API and staged on the draft as
 * provenance.sigstore.json; PEP 740 attestations for the distributions (staged too, then
 * uploaded with them); the image signed and given its SBOM attestation as OCI referrers. What
 * a resumed run finds staged is checked against the manifest and kept, never signed again.
 */
export const provenance: Destination = {
  name: "Provenance",
  label: () => LABEL,

  skip(run) {
    if (run.flags.skipAttestations) return { outcome: "skipped", reason: "--skip-attestations" };
    if (!run.attest) return { outcome: "not applicable", reason: "nothing is published to sign" };
    return null;
  },

  preview(run, artifacts) {
    const plan = run.ctx.plan;
    const files = attestedFiles(artifacts);
    const image = imageSigned(run) && plan.image ? ` and the image ${plan.image.repository}` : "";
    if (plan.github && !run.flags.skipGithub) {
      run.report.add(
        LABEL,
        PROVENANCE_FILE,
        "would sign",
        `SLSA provenance v1 of ${files.size} files${image}, recorded through GitHub's ` +
          "attestations API and staged on the draft",
      );
    }
    for (const dist of attestedDistributions(run)) {
      run.report.add(LABEL, attestationFileName(dist), "would sign", "PEP 740 publish attestation");
    }
    if (imageSigned(run) && plan.image) {
      run.report.add(
        LABEL,
        `${plan.image.repository}@<index digest after the push>`,
        "would sign",
        "cosign sign/v1 signature and CycloneDX SBOM attestation " +
          `(${imageSbomSummary(imageSbomPredicate(run, artifacts))}), as OCI referrers`,
      );
    }
  },

  async publish(run, artifacts) {
    const setup = run.attest;
    const plan = run.ctx.plan;
    if (!setup) throw new Error("signing needs the workflow's OIDC token");
    const files = attestedFiles(artifacts);
    await checkLocalBytes(run, artifacts, files);
    const access = await imageAccess(run);
    const digest =
      access && plan.image
        ? (run.signed.imageDigest ?? (await indexDigest(access, plan.image.tags[0] ?? "")))
        : null;
    run.signed.imageDigest = digest;
    const image = access && digest ? { repository: access.repository, digest } : null;
    const dists = attestedDistributions(run);
    const staged =
      run.github && !run.flags.skipGithub
        ? ((await readReleaseAssets(run.github, [
            PROVENANCE_FILE,
            ...dists.map(attestationFileName),
          ])) ?? new Map<string, Buffer>())
        : new Map<string, Buffer>();

    let token: string | null = null;
    const identity = async () => {
      token ??= await requestIdToken(setup.idToken, "sigstore");
      return token;
    };
    const toStage: Record<string, string> = {};

    // The SLSA provenance of everything the release is.
    if (run.github && plan.github && !run.flags.skipGithub) {
      const existing = staged.get(PROVENANCE_FILE);
      let bundle: SigstoreBundle;
      if (existing) {
        bundle = checkStagedProvenance(existing, files, image);
      } else {
        const jwt = await identity();
        const claims = buildClaims(tokenClaims(jwt));
        const subjects = [...files].map(([name, sha]) => ({ name, digest: { sha256: sha } }));
        if (image) subjects.push(imageSubject(image.repository, image.digest));
        const statement = provenanceStatement(subjects, claims, setup.toolImages);
        bundle = await signStatement(
          statementBytes(statement),
          provenanceInstance(setup, claims),
          jwt,
        );
        toStage[PROVENANCE_FILE] = `${JSON.stringify(bundle)}\n`;
      }
      const lookup = files.get(MANIFEST_FILE) ?? [...files.values()][0] ?? "";
      const recorded = await recordGithubAttestation(run.github, bundle, lookup);
      run.report.add(
        LABEL,
        PROVENANCE_FILE,
        existing ? "already there" : "signed",
        `SLSA provenance v1 of ${files.size} files${image ? ` and ${image.repository}@${image.digest}` : ""}; ` +
          `GitHub attestation ${recorded}`,
      );
    } else {
      run.report.add(LABEL, PROVENANCE_FILE, "skipped", "no staged release (--skip-github)");
    }

    // PEP 740: one attestation per distribution, made once, before any upload.
    for (const dist of dists) {
      const name = attestationFileName(dist);
      const sha = files.get(dist) ?? "";
      const existing = staged.get(name);
      let text: string;
      if (existing) {
        text = existing.toString("utf8");
        const subject = attestationSubject(parseAttestation(text));
        if (subject.name !== dist || subject.sha256 !== sha) {
          throw new Error(
            `The staged ${name} attests ${subject.name} sha256:${subject.sha256}, not ${dist} ` +
              `sha256:${sha}: delete it from the draft and run again. Nothing was uploaded.`,
          );
        }
      } else {
        const bundle = await signStatement(
          publishStatementBytes(dist, sha),
          pep740Instance(setup),
          await identity(),
          {
            requireLog: true,
          },
        );
        text = `${JSON.stringify(attestationFromBundle(bundle))}\n`;
        toStage[name] = text;
      }
      run.signed.pep740.set(dist, text);
      run.report.add(
        LABEL,
        name,
        existing ? "already there" : "signed",
        `PEP 740 publish attestation of sha256:${sha}`,
      );
    }
    if (run.github) await writeAndStage(run, run.github, toStage);

    // The image: its signature and SBOM attestation, attached as OCI referrers.
    if (access && image) {
      const sbom = imageSbomPredicate(run, artifacts);
      const subject = imageSubject(image.repository, image.digest);
      const jwt = await identity();
      const instance = provenanceInstance(setup, tokenClaims(jwt));
      const results = await signImage(
        access,
        image.digest,
        [
          { predicateType: COSIGN_SIGN_V1, statement: imageStatement(subject, COSIGN_SIGN_V1, {}) },
          {
            predicateType: CYCLONEDX_BOM,
            statement: imageStatement(subject, CYCLONEDX_BOM, sbom),
          },
        ],
        (statement) => signStatement(statement, instance, jwt),
      );
      const attached = results.every((r) => r.outcome === "already there")
        ? "already there"
        : "signed";
      run.report.add(
        LABEL,
        `${image.repository}@${image.digest}`,
        attached,
        `cosign sign/v1 signature and CycloneDX SBOM attestation (${imageSbomSummary(sbom)}; OCI referrers)`,
      );
    }
  },
};
