import { type Container, dag } from "@dagger.io/dagger";
import { MANIFEST_FILE, type ReleaseManifest } from "../plan/release-manifest.js";
import type { ReleasePlan } from "../plan/release-plan.js";
import type { BuildContext } from "../stages/source.js";
import { publishPythonDist } from "./python.js";
import type { ReleaseFiles } from "./release-files.js";
import {
  imageAlreadyPushed,
  imageDestination,
  imageFromArchives,
  pushImage,
  registryLogin,
} from "./release-image.js";
import type { Preflight, ReleaseOptions } from "./release-preflight.js";
import type { ReleaseReport } from "./report.js";

/** Which destination failed first, if any: it stops the ones after it. */
export interface StepState {
  stopped: string | null;
}

/** Runs one destination unless an earlier one failed; records a failure and stops the rest. */
export async function step(
  report: ReleaseReport,
  destination: string,
  state: StepState,
  run: () => Promise<void>,
): Promise<void> {
  if (state.stopped) {
    report.add(destination, "-", "skipped", `${state.stopped} failed first`);
    return;
  }
  try {
    await run();
  } catch (error) {
    report.add(destination, "-", "failed", error instanceof Error ? error.message : String(error));
    state.stopped = destination;
  }
}

export function describeFile(manifest: ReleaseManifest, name: string): string {
  const file = manifest.files.find((f) => f.name === name);
  return file ? `${file.kind}${file.target ? ` ${file.target}` : ""}  sha256:${file.sha256}` : "";
}

export function noteManifest(
  report: ReleaseReport,
  manifest: ReleaseManifest,
  where: string,
): void {
  report.note(
    `Staged manifest (${MANIFEST_FILE}, ${where}): ${manifest.tag} of ` +
      `${manifest.project.package}, cargo ${manifest.version.cargo}` +
      `${manifest.python ? `, python ${manifest.python.version}` : ""}, commit ` +
      `${manifest.commit}, ${manifest.files.length} files`,
  );
}

/** The image, TestPyPI and PyPI, in that order, from the given files; the first failure stops. */
export async function publishDestinations(
  pre: Preflight,
  options: ReleaseOptions,
  ctx: BuildContext,
  files: ReleaseFiles,
  images: Container[] | "from staged archives",
  report: ReleaseReport,
  state: StepState,
): Promise<void> {
  const { plan } = pre;
  if (options.skipImage) report.add("Image", "-", "skipped", "--skip-image");
  else if (options.registryPassword) {
    const login = registryLogin(plan, options.registryUsername, options.registryPassword);
    await step(report, "Image", state, async () => {
      if (images === "from staged archives") {
        if (await imageAlreadyPushed(plan, login)) {
          for (const reference of plan.image?.references ?? []) {
            report.add(
              imageDestination(plan),
              reference,
              "already there",
              `revision ${plan.commit?.sha}`,
            );
          }
          return;
        }
        await pushImage(plan, login, await imageFromArchives(ctx, plan, files.directory), report);
      } else {
        await pushImage(plan, login, images, report);
      }
    });
  }

  if (!plan.python)
    report.add("PyPI", "-", "not applicable", "the project has no maturin pyproject.toml");
  else if (options.skipPypi) report.add("PyPI", "-", "skipped", "--skip-pypi");
  else if (state.stopped) {
    for (const { index } of pre.python) {
      report.add(index.name, "-", "skipped", `${state.stopped} failed first`);
    }
  } else {
    const python = plan.python;
    const names = [...python.wheels, python.sdist];
    const dist = {
      directory: dag.directory().withDirectory("/", files.directory, { include: names }),
      files: files.facts.filter((f) => names.includes(f.name)),
    };
    const project = { name: python.project, version: python.version };
    const ok = await publishPythonDist(ctx, dist, pre.python, project, report);
    if (!ok) state.stopped = "PyPI";
  }
}

/** The GitHub Release as the report names it. */
export function githubDestination(plan: ReleasePlan): string {
  return `GitHub Release ${plan.github?.repository} ${plan.tag}`;
}
