import { dag } from "@dagger.io/dagger";
import { type PypiDestination, publishToIndex } from "../../publishers/pypi/index.js";
import type { ReleaseRun } from "../release-run.js";
import type { Destination } from "./destination.js";

/** TestPyPI or PyPI: the staged wheels and sdist, skipping files the index already has. */
function packageIndex(
  which: "testPypi" | "pypi",
  name: string,
  skipFlag: (run: ReleaseRun) => string | null,
): Destination {
  const destination = (run: ReleaseRun): PypiDestination => run.pypi[which];
  return {
    name,
    label(run) {
      const { index } = destination(run);
      const python = run.ctx.plan.python;
      return python
        ? `${index.name} (${index.webUrl}/project/${python.project}/${python.version}/)`
        : index.name;
    },

    skip(run) {
      const { python, noPython } = run.ctx.plan;
      if (!python) {
        return { outcome: "not applicable", reason: noPython ?? "no maturin pyproject.toml" };
      }
      const flag = skipFlag(run);
      return flag ? { outcome: "skipped", reason: flag } : null;
    },

    preview(run) {
      const { upload } = destination(run);
      const python = run.ctx.plan.python;
      const how = upload ? `with ${upload.kind}` : "but no credentials were given";
      for (const file of python ? [...python.wheels, python.sdist] : []) {
        run.report.add(this.label(run), file, "would publish", how);
      }
    },

    async publish(run, { files }) {
      const python = run.ctx.plan.python;
      if (!python) throw new Error("the plan has no Python distributions");
      const names = [...python.wheels, python.sdist];
      const dist = {
        directory: dag.directory().withDirectory("/", files.directory, { include: names }),
        files: files.facts.filter((f) => names.includes(f.name)),
        attestations: run.signed.pep740,
      };
      const published = await publishToIndex(dist, destination(run), {
        name: python.project,
        version: python.version,
        cacheNamespace: run.ctx.cacheNamespace,
      });
      const label = this.label(run);
      for (const file of published.alreadyThere) {
        run.report.add(label, file.name, "already there", `sha256:${file.sha256}`);
      }
      const { upload } = destination(run);
      for (const file of published.uploaded) {
        const attestation = file.attested
          ? "with its PEP 740 attestation"
          : upload?.kind === "API token"
            ? "no attestation: PyPI takes them only with trusted publishing"
            : "no attestation (--skip-attestations)";
        run.report.add(label, file.name, "published", `sha256:${file.sha256}  ${attestation}`);
      }
    },
  };
}

export const testPypi = packageIndex("testPypi", "TestPyPI", (run) =>
  run.flags.skipPypi ? "--skip-pypi" : run.flags.skipTestPypi ? "--skip-test-pypi" : null,
);

export const pypi = packageIndex("pypi", "PyPI", (run) =>
  run.flags.skipPypi ? "--skip-pypi" : null,
);
