import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Directory, dag, type Secret } from "@dagger.io/dagger";
import { PUBLISH_TOKEN_VARIABLE, uvPublishCommand } from "../commands/uv-publish.js";
import { PlanError } from "../plan/errors.js";
import { findTarget, TARGETS } from "../plan/targets.js";
import { parseTag } from "../plan/version.js";
import {
  existingFiles,
  explainUvPublishFailure,
  mintUploadToken,
  type PackageIndex,
  PYPI,
  PypiPublishError,
  packageIndexAt,
  planUploads,
  TEST_PYPI,
  uploadConflictError,
} from "../publishers/pypi.js";
import { isExecError } from "../stages/exec-errors.js";
import { IMAGES } from "../stages/images.js";
import { pythonDist, pythonPlanFor, withUv } from "../stages/python.js";
import { type BuildContext, buildContext } from "../stages/source.js";
import { enginePlatform } from "../stages/toolchain.js";
import { collectBuilt } from "./release-files.js";
import { ReleaseReport } from "./report.js";

/** How a run may upload: trusted publishing (OIDC) is the default, API tokens the fallback. */
export interface PythonCredentials {
  oidcRequestUrl: Secret | null;
  oidcRequestToken: Secret | null;
  testPypiToken: Secret | null;
  pypiToken: Secret | null;
}

export interface IndexOverrides {
  pypiUrl: string | null;
  testPypiUrl: string | null;
}

type Upload =
  | { kind: "trusted publishing"; requestUrl: Secret; requestToken: Secret }
  | { kind: "API token"; token: Secret };

export interface PythonDestination {
  index: PackageIndex;
  upload: Upload | null;
  /** The flag that gives this index an API token instead. */
  tokenFlag: "--test-pypi-token" | "--pypi-token";
}

/**
 * TestPyPI then PyPI (unless skipped), each with the credentials it will use. Decided before
 * any build; `requireUploads` turns a missing credential into an error naming the flags.
 */
export function pythonDestinations(
  credentials: PythonCredentials,
  overrides: IndexOverrides,
  skip: { testPypi: boolean; pypi: boolean },
): PythonDestination[] {
  const { oidcRequestUrl: url, oidcRequestToken: token } = credentials;
  if ((url === null) !== (token === null)) {
    throw new PlanError(
      "--oidc-request-url and --oidc-request-token go together: pass both " +
        "(env://ACTIONS_ID_TOKEN_REQUEST_URL and env://ACTIONS_ID_TOKEN_REQUEST_TOKEN)",
    );
  }
  const oidc: Upload | null =
    url && token ? { kind: "trusted publishing", requestUrl: url, requestToken: token } : null;
  const testPypi: PythonDestination = {
    index: overrides.testPypiUrl ? packageIndexAt(overrides.testPypiUrl, "TestPyPI") : TEST_PYPI,
    upload: credentials.testPypiToken
      ? { kind: "API token", token: credentials.testPypiToken }
      : oidc,
    tokenFlag: "--test-pypi-token",
  };
  const pypi: PythonDestination = {
    index: overrides.pypiUrl ? packageIndexAt(overrides.pypiUrl, "PyPI") : PYPI,
    upload: credentials.pypiToken ? { kind: "API token", token: credentials.pypiToken } : oidc,
    tokenFlag: "--pypi-token",
  };
  return [...(skip.testPypi ? [] : [testPypi]), ...(skip.pypi ? [] : [pypi])];
}

export function requireUploads(destinations: readonly PythonDestination[]): void {
  for (const { index, upload, tokenFlag } of destinations) {
    if (upload) continue;
    throw new PlanError(
      `publishing to ${index.name} needs credentials: for trusted publishing pass ` +
        "--oidc-request-url env://ACTIONS_ID_TOKEN_REQUEST_URL --oidc-request-token " +
        "env://ACTIONS_ID_TOKEN_REQUEST_TOKEN (the job needs `permissions: id-token: write`), " +
        `or pass ${tokenFlag} env://<VARIABLE> with an API token` +
        (tokenFlag === "--test-pypi-token" ? ", or --skip-test-pypi" : ""),
    );
  }
}

/** Distributions ready to upload: the files in the engine, and each one's sha256. */
export interface UploadableDist {
  directory: Directory;
  files: { name: string; sha256: string }[];
}

async function uploadSecret(destination: PythonDestination, upload: Upload): Promise<Secret> {
  if (upload.kind === "API token") return upload.token;
  const minted = await mintUploadToken({
    index: destination.index,
    requestUrl: () => upload.requestUrl.plaintext(),
    requestToken: () => upload.requestToken.plaintext(),
  });
  // Unique per run: a secret's name identifies it within the engine session.
  return dag.setSecret(`${destination.index.name}-upload-token-${Date.now()}`, minted.reveal());
}

/** Uploads the files the index lacks with uv; identical ones are skipped, changed ones refused. */
async function publishToIndex(
  ctx: BuildContext,
  dist: UploadableDist,
  destination: PythonDestination,
  project: { name: string; version: string },
  report: ReleaseReport,
): Promise<void> {
  const { index, upload } = destination;
  const where = `${index.name} (${index.webUrl}/project/${project.name}/${project.version}/)`;
  if (!upload) throw new PlanError(`no credentials for ${index.name}`);
  const existing = await existingFiles({ index, project: project.name, version: project.version });
  const local = dist.files;
  const plan = planUploads(local, existing);
  if (plan.conflicts.length > 0) {
    throw uploadConflictError(plan.conflicts, {
      index,
      project: project.name,
      version: project.version,
    });
  }
  for (const name of plan.alreadyThere) {
    report.add(where, name, "already there", `sha256:${existing.get(name)}`);
  }
  if (plan.upload.length === 0) return;

  const token = await uploadSecret(destination, upload);
  const publish = withUv(ctx, dag.container().from(IMAGES.python))
    .withDirectory("/upload", dist.directory, { include: plan.upload })
    .withSecretVariable(PUBLISH_TOKEN_VARIABLE, token)
    // The engine may reuse an identical exec's result; an upload must really happen each run.
    .withEnvVariable("RUST_RELEASE_UPLOAD_RUN", new Date().toISOString())
    .withExec(
      uvPublishCommand({
        publishUrl: index.uploadUrl,
        checkUrl: index.simpleUrl,
        files: plan.upload.map((name) => `/upload/${name}`),
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
  for (const name of plan.upload) {
    const sha = local.find((f) => f.name === name)?.sha256;
    report.add(where, name, "published", `sha256:${sha}`);
  }
}

/**
 * Publishes to each destination in order (TestPyPI first); the first failure stops the rest,
 * which the report shows as skipped. Returns whether everything succeeded.
 */
export async function publishPythonDist(
  ctx: BuildContext,
  dist: UploadableDist,
  destinations: readonly PythonDestination[],
  project: { name: string; version: string },
  report: ReleaseReport,
): Promise<boolean> {
  for (const [i, destination] of destinations.entries()) {
    try {
      await publishToIndex(ctx, dist, destination, project, report);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.add(destination.index.name, "-", "failed", message);
      for (const later of destinations.slice(i + 1)) {
        report.add(later.index.name, "-", "skipped", `${destination.index.name} failed first`);
      }
      return false;
    }
  }
  return true;
}

/** A dry run's account of the uploads: every file at every index, and with what credentials. */
export function reportPlannedUploads(
  destinations: readonly PythonDestination[],
  files: readonly string[],
  report: ReleaseReport,
): void {
  for (const { index, upload } of destinations) {
    const how = upload ? `with ${upload.kind}` : "but no credentials were given";
    for (const file of files) {
      report.add(`${index.name} (${index.uploadUrl})`, file, "would publish", how);
    }
  }
}

export interface PythonBuildOptions {
  tag: string | null;
  cargoPackage: string | null;
  /** One target's wheel; null for all five. */
  target: string | null;
  wheels: boolean;
  sdist: boolean;
  sourceDateEpoch: number | null;
}

/** Builds and checks wheels and/or the sdist into one directory. */
export async function buildPython(
  source: Directory,
  options: PythonBuildOptions,
): Promise<Directory> {
  const targets = options.wheels ? (options.target ? [findTarget(options.target)] : TARGETS) : [];
  const ctx = await buildContext(source, options);
  const dist = await pythonDist(ctx, targets, {
    sdist: options.sdist,
    nativePlatform: await enginePlatform(),
  });
  return dist.directory;
}

export interface PythonPublishOptions extends PythonCredentials, IndexOverrides {
  tag: string;
  cargoPackage: string | null;
  skipTestPypi: boolean;
  dryRun: boolean;
  sourceDateEpoch: number | null;
}

/**
 * Builds and checks every wheel and the sdist, then publishes to TestPyPI and PyPI in that order
 * (PyPI untouched if TestPyPI fails). Missing credentials fail before any build.
 */
export async function publishPython(
  source: Directory,
  options: PythonPublishOptions,
): Promise<string> {
  parseTag(options.tag);
  const destinations = pythonDestinations(options, options, {
    testPypi: options.skipTestPypi,
    pypi: false,
  });
  // A project without Python is told so before it is asked for credentials.
  const ctx = await buildContext(source, options);
  const plan = pythonPlanFor(ctx);
  if (!options.dryRun) requireUploads(destinations);
  const dist = await pythonDist(ctx, TARGETS, {
    sdist: true,
    nativePlatform: await enginePlatform(),
  });
  const report = new ReleaseReport(
    `${options.dryRun ? "Dry run: " : ""}Python distributions of ${plan.project} ${plan.version}`,
  );
  const project = { name: plan.project, version: plan.version };
  if (options.dryRun) {
    reportPlannedUploads(destinations, dist.files, report);
    return report.render();
  }
  // The bytes go through this runtime's file system to be hashed, as for a release.
  const dir = await mkdtemp(join(tmpdir(), "rust-release-python-"));
  let ok: boolean;
  try {
    const files = await collectBuilt([dist.directory], dist.files, dir);
    const uploads = { directory: files.directory, files: files.facts };
    ok = await publishPythonDist(ctx, uploads, destinations, project, report);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const text = report.render();
  if (!ok) throw new Error(text);
  return text;
}
