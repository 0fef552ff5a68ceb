import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Directory } from "@dagger.io/dagger";
import { pythonDist, pythonPlanOf } from "../stages/python.js";
import { prepareRun, type RunOptions } from "../stages/run-context.js";
import { PYTHON_DESTINATIONS, walkDestinations } from "./destinations/index.js";
import { collectBuilt } from "./release-files.js";
import { type PublishOptions, preflight } from "./release-run.js";
import { ReleaseReport } from "./report.js";

export interface PythonPublishOptions extends RunOptions, PublishOptions {
  tag: string;
}

/**
 * Builds and checks every wheel and the sdist, then publishes them to TestPyPI and PyPI in that
 * order (PyPI untouched if TestPyPI fails): `publish-python`. The same two destinations a
 * release walks; missing credentials fail before any build.
 */
export async function publishPython(
  source: Directory,
  options: PythonPublishOptions,
): Promise<string> {
  const ctx = await prepareRun(source, options);
  // A project without Python is told so before it is asked for credentials.
  const python = pythonPlanOf(ctx);
  const report = new ReleaseReport(
    `${options.dryRun ? "Dry run: " : ""}Python distributions of ${python.project} ${python.version}`,
  );
  // The bytes go through this runtime's file system to be hashed, as for a release.
  const dir = await mkdtemp(join(tmpdir(), "rust-release-python-"));
  try {
    const flags = { ...options, skipGithub: true, skipImage: true };
    const run = await preflight(ctx, flags, report, dir);
    const dist = await pythonDist(ctx, ctx.plan.targets, { sdist: true });
    for (const note of ctx.compileLog.notes()) report.note(note);
    const files = await collectBuilt([dist.directory], dist.files, dir);
    const artifacts = { files, images: [], manifest: null, manifestPath: null };
    await walkDestinations(run, artifacts, PYTHON_DESTINATIONS);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const text = report.render();
  if (report.failed) throw new Error(text);
  return text;
}
