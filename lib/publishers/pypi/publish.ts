import { type Directory, dag, type Secret } from "@dagger.io/dagger";
import { PUBLISH_TOKEN_VARIABLE, uvPublishCommand } from "../../commands/uv-publish.js";
import { PlanError } from "../../plan/errors.js";
import { isExecError } from "../../stages/exec-errors.js";
import { IMAGES } from "../../stages/images.js";
import { withUv } from "../../stages/uv.js";
import { PypiPublishError } from "./errors.js";
import { existingFiles } from "./existing-files.js";
import { type PackageIndex, PYPI, packageIndexAt, TEST_PYPI } from "./package-index.js";
import { mintUploadToken } from "./trusted-publishing.js";
import { planUploads, uploadConflictError } from "./upload-plan.js";
import { explainUvPublishFailure } from "./uv-failure.js";

/** How a run may upload: trusted publishing (OIDC) is the default, API tokens the fallback. */
export interface PythonCredentials {
  oidcRequestUrl?: Secret | null;
  oidcRequestToken?: Secret | null;
  testPypiToken?: Secret | null;
  pypiToken?: Secret | null;
}

/** Other PyPI-compatible index roots instead of pypi.org and test.pypi.org. */
export interface IndexOverrides {
  pypiUrl?: string | null;
  testPypiUrl?: string | null;
}

type Upload =
  | { kind: "trusted publishing"; requestUrl: Secret; requestToken: Secret }
  | { kind: "API token"; token: Secret };

/** One index and the credentials this run uploads to it with. */
export interface PypiDestination {
  index: PackageIndex;
  upload: Upload | null;
  /** The flag that gives this index an API token instead. */
  tokenFlag: "--test-pypi-token" | "--pypi-token";
}

/**
 * TestPyPI and PyPI, each with the credentials it would use. Decided before any build; a
 * missing credential is refused by requireUpload, naming the flags.
 */
export function pypiDestinations(
  credentials: PythonCredentials,
  overrides: IndexOverrides,
): { testPypi: PypiDestination; pypi: PypiDestination } {
  const url = credentials.oidcRequestUrl ?? null;
  const token = credentials.oidcRequestToken ?? null;
  if ((url === null) !== (token === null)) {
    throw new PlanError(
      "--oidc-request-url and --oidc-request-token go together: pass both " +
        "(env://ACTIONS_ID_TOKEN_REQUEST_URL and env://ACTIONS_ID_TOKEN_REQUEST_TOKEN)",
    );
  }
  const oidc: Upload | null =
    url && token ? { kind: "trusted publishing", requestUrl: url, requestToken: token } : null;
  const apiToken = (secret: Secret | null | undefined): Upload | null =>
    secret ? { kind: "API token", token: secret } : oidc;
  return {
    testPypi: {
      index: overrides.testPypiUrl ? packageIndexAt(overrides.testPypiUrl, "TestPyPI") : TEST_PYPI,
      upload: apiToken(credentials.testPypiToken),
      tokenFlag: "--test-pypi-token",
    },
    pypi: {
      index: overrides.pypiUrl ? packageIndexAt(overrides.pypiUrl, "PyPI") : PYPI,
      upload: apiToken(credentials.pypiToken),
      tokenFlag: "--pypi-token",
    },
  };
}

/** Refuses an index this run has no credentials for, saying which flags give them. */
export function requireUpload({ index, upload, tokenFlag }: PypiDestination): void {
  if (upload) return;
  throw new PlanError(
    `publishing to ${index.name} needs credentials: for trusted publishing pass ` +
      "--oidc-request-url env://ACTIONS_ID_TOKEN_REQUEST_URL --oidc-request-token " +
      "env://ACTIONS_ID_TOKEN_REQUEST_TOKEN (the job needs `permissions: id-token: write`), " +
      `or pass ${tokenFlag} env://<VARIABLE> with an API token` +
      (tokenFlag === "--test-pypi-token" ? ", or --skip-test-pypi" : ""),
  );
}

/** Distributions ready to upload: the files in the engine, and each one's sha256. */
export interface UploadableDist {
  directory: Directory;
  files: { name: string; sha256: string }[];
  /**
   * PEP 740 attestations (JSON) by distribution name, uploaded beside their files when the
   * index takes them: with trusted publishing only (PyPI refuses them with an API token).
   */
  attestations?: ReadonlyMap<string, string>;
}

/** What one index holds of the release afterwards. */
export interface IndexPublication {
  /** The release's page on the index. */
  url: string;
  alreadyThere: { name: string; sha256: string }[];
  uploaded: { name: string; sha256: string; attested: boolean }[];
}

async function uploadSecret(destination: PypiDestination, upload: Upload): Promise<Secret> {
  if (upload.kind === "API token") return upload.token;
  const minted = await mintUploadToken({
    index: destination.index,
    requestUrl: () => upload.requestUrl.plaintext(),
    requestToken: () => upload.requestToken.plaintext(),
  });
  // Unique per run: a secret's name identifies it within the engine session.
  return dag.setSecret(`${destination.index.name}-upload-token-${Date.now()}`, minted.reveal());
}

/**
 * Uploads the files the index lacks with uv; identical ones are skipped, and a file the index
 * holds with other content stops the upload before anything is sent, naming the file.
 */
export async function publishToIndex(
  dist: UploadableDist,
  destination: PypiDestination,
  project: { name: string; version: string; cacheNamespace: string },
): Promise<IndexPublication> {
  const { index, upload } = destination;
  const url = `${index.webUrl}/project/${project.name}/${project.version}/`;
  requireUpload(destination);
  if (!upload) throw new PlanError(`no credentials for ${index.name}`);
  const existing = await existingFiles({ index, project: project.name, version: project.version });
  const plan = planUploads(dist.files, existing);
  if (plan.conflicts.length > 0) {
    throw uploadConflictError(plan.conflicts, {
      index,
      project: project.name,
      version: project.version,
    });
  }
  const byName = (name: string) => ({
    name,
    sha256: dist.files.find((f) => f.name === name)?.sha256 ?? "",
  });
  const result: IndexPublication = {
    url,
    alreadyThere: plan.alreadyThere.map(byName),
    uploaded: [],
  };
  if (plan.upload.length === 0) return result;

  const token = await uploadSecret(destination, upload);
  // uv uploads `<dist>.publish.attestation` given beside a distribution as its attestations.
  const attested =
    upload.kind === "trusted publishing"
      ? plan.upload.filter((name) => dist.attestations?.has(name))
      : [];
  let container = withUv(project, dag.container().from(IMAGES.python)).withDirectory(
    "/upload",
    dist.directory,
    { include: plan.upload },
  );
  for (const name of attested) {
    container = container.withNewFile(
      `/upload/${name}.publish.attestation`,
      dist.attestations?.get(name) ?? "",
    );
  }
  const publish = container
    .withSecretVariable(PUBLISH_TOKEN_VARIABLE, token)
    // The engine may reuse an identical exec's result; an upload must really happen each run.
    .withEnvVariable("RUST_RELEASE_UPLOAD_RUN", new Date().toISOString())
    .withExec(
      uvPublishCommand({
        publishUrl: index.uploadUrl,
        checkUrl: index.simpleUrl,
        files: [
          ...plan.upload.map((name) => `/upload/${name}`),
          ...attested.map((name) => `/upload/${name}.publish.attestation`),
        ],
      }),
    );
  try {
    await publish.sync();
  } catch (error) {
    if (isExecError(error)) {
      throw new PypiPublishError(
        explainUvPublishFailure(`${error.stderr}\n${error.stdout}`, index),
      );
    }
    throw error;
  }
  return {
    ...result,
    uploaded: plan.upload.map((name) => ({ ...byName(name), attested: attested.includes(name) })),
  };
}
