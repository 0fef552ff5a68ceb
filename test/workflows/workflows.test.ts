import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { ModuleUnderTest } from "../harness/dagger-call.js";
import type { ObjectSurface } from "../harness/surface.js";
import { REPO_ROOT } from "../support/projects.js";

const DAGGER_ACTION = "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77";
/** This repository's own CI. */
const WORKFLOWS = join(REPO_ROOT, ".github/workflows");
/** What a project copies to release itself (never run here). */
const TEMPLATES = join(REPO_ROOT, "ci");

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
/** Flags whose value is a credential: only a workflow that publishes passes them. */
const CREDENTIAL_FLAGS = [
  "--github-token",
  "--registry-password",
  "--oidc-request-url",
  "--oidc-request-token",
  "--test-pypi-token",
  "--pypi-token",
];
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { steps: Step[]; env?: Record<string, string> }>;
}

function workflow(name: string, dir = WORKFLOWS): Workflow {
  return parse(readFileSync(join(dir, name), "utf8")) as Workflow;
}

const template = (name: string) => workflow(name, TEMPLATES);

const daggerSteps = (job: { steps: Step[] }) =>
  job.steps.filter((s) => s.uses?.startsWith("dagger/dagger-for-github"));

/** A GitHub Actions expression, `${{ inner }}`, as it appears in a workflow. */
function expression(inner: string): string {
  return `\${{ ${inner} }}`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * `--flag value` words of a dagger call's args, split like the shell would (quotes kept simple);
 * `--flag="$VALUE"` counts as the flag.
 */
function words(args: string): string[] {
  // `${VAR:+words}`: the words the shell passes when VAR is set (an optional group of flags).
  const expanded = args.replace(/\$\{\w+:\+([^}]*)\}/g, "$1");
  return [...expanded.matchAll(/"[^"]*"|\S+/g)].map((m) => m[0].replace(/^(--[\w-]+)=.*$/, "$1"));
}

const mod = new ModuleUnderTest();
let surface: ObjectSurface;
beforeAll(async () => {
  await mod.start();
  surface = (await mod.surface())[0] as ObjectSurface;
});
afterAll(() => mod.stop());

/** Every flag a workflow passes exists on the function (or the module) it calls. */
function expectValidCall(args: string): string {
  const tokens = words(args);
  const moduleFlags = new Set(surface.constructorArgs.map((a) => `--${kebab(a.name)}`));
  const functionNames = new Set(surface.functions.map((f) => kebab(f.name)));
  const fnIndex = tokens.findIndex((t) => functionNames.has(t));
  expect(fnIndex, `no module function in: ${args}`).toBeGreaterThanOrEqual(0);
  const fn = surface.functions.find((f) => kebab(f.name) === tokens[fnIndex]);
  for (const flag of tokens.slice(0, fnIndex).filter((t) => t.startsWith("--"))) {
    expect(moduleFlags, `${flag} is not a module flag`).toContain(flag);
  }
  const fnFlags = new Set(fn?.args.map((a) => `--${kebab(a.name)}`));
  // After the function come its flags, then possibly a chained core call (export --path).
  const chained = tokens.findIndex(
    (t, i) => i > fnIndex && !t.startsWith("-") && !tokens[i - 1]?.startsWith("--"),
  );
  const own = tokens.slice(fnIndex + 1, chained === -1 ? undefined : chained);
  for (const flag of own.filter((t) => t.startsWith("--"))) {
    expect(fnFlags, `${flag} is not a flag of ${tokens[fnIndex]}`).toContain(flag);
  }
  for (const arg of fn?.args ?? []) {
    if (!arg.type.endsWith("?") && arg.defaultValue === undefined) {
      expect(own, `${tokens[fnIndex]} needs --${kebab(arg.name)}`).toContain(
        `--${kebab(arg.name)}`,
      );
    }
  }
  return tokens[fnIndex] as string;
}

describe("GitHub workflows", () => {
  test("every workflow and template parses; every dagger step uses the pinned action and engine", () => {
    const files = [
      ...readdirSync(WORKFLOWS).map((f) => [f, WORKFLOWS] as const),
      ...readdirSync(TEMPLATES)
        .filter((f) => f.endsWith(".yml"))
        .map((f) => [f, TEMPLATES] as const),
    ];
    expect(
      files.map(([f, dir]) => `${dir === TEMPLATES ? "ci" : ".github/workflows"}/${f}`).sort(),
    ).toEqual([".github/workflows/ci.yml", "ci/image.yml", "ci/release.yml"]);
    for (const [file, dir] of files) {
      for (const job of Object.values(workflow(file, dir).jobs)) {
        expect(daggerSteps(job).length, file).toBeLessThanOrEqual(1);
        for (const step of daggerSteps(job)) {
          expect(step.uses).toBe(DAGGER_ACTION);
          expect(step.with?.version).toBe("0.21.9");
          expect(step.with?.verb).toBe("call");
          // Values reach the shell through env only: nothing is pasted in with ${{ }}.
          expect(step.with?.args).not.toContain("${{");
          expectValidCall(step.with?.args ?? "");
        }
      }
    }
  });

  test("no workflow of this repository publishes anything", () => {
    for (const file of readdirSync(WORKFLOWS)) {
      const flow = workflow(file);
      // Read-only token: nothing could be written to GitHub or ghcr.io even by mistake.
      expect(flow.permissions, file).toEqual({ contents: "read" });
      const text = readFileSync(join(WORKFLOWS, file), "utf8");
      expect(text, file).not.toContain("secrets.");
      for (const job of Object.values(flow.jobs)) {
        expect(job).not.toHaveProperty("permissions");
        for (const step of daggerSteps(job)) {
          const args = step.with?.args ?? "";
          const fn = expectValidCall(args);
          expect(["publish-image", "publish-python"], file).not.toContain(fn);
          if (fn === "release") expect(args, file).toContain("--dry-run");
          for (const flag of CREDENTIAL_FLAGS) expect(args, file).not.toContain(flag);
        }
      }
    }
  });

  test("the release template: tags and manual runs, one job with exactly one dagger step", () => {
    const release = template("release.yml");
    expect(release.on.push).toEqual({ tags: ["v*"] });
    expect(release.on).toHaveProperty("workflow_dispatch.inputs.tag");
    // Signing needs the OIDC token (id-token) and GitHub's attestations API (attestations).
    expect(release.permissions).toEqual({
      contents: "write",
      packages: "write",
      "id-token": "write",
      attestations: "write",
    });
    const jobs = Object.values(release.jobs);
    expect(jobs).toHaveLength(1);
    const job = jobs[0] as Workflow["jobs"][string];
    const [step] = daggerSteps(job);
    expect(daggerSteps(job)).toHaveLength(1);
    expect(job.env?.TAG).toBe(expression("inputs.tag || github.ref_name"));
    // It calls this module from the project that copied it, on the project's own source.
    expect(step?.with?.module).toBe("MODULE_REF");
    const args = step?.with?.args ?? "";
    expect(args.startsWith("--source . ")).toBe(true);
    expect(expectValidCall(args)).toBe("release");
    expect(args).toContain('--tag "$TAG"');
    expect(args).toContain('--registry "$REGISTRY"');
    expect(job.env?.REGISTRY).toBe("ghcr.io");
    // A manual run can resume with the escape hatches, passed through the environment.
    for (const [input, variable] of [
      ["skip-test-pypi", "SKIP_TEST_PYPI"],
      ["rebuild", "REBUILD"],
      ["replace-changed-assets", "REPLACE_CHANGED_ASSETS"],
      ["skip-attestations", "SKIP_ATTESTATIONS"],
    ] as const) {
      expect(release.on).toHaveProperty(`workflow_dispatch.inputs.${input}.type`, "boolean");
      expect(job.env?.[variable]).toBe(expression(`inputs.${input} || false`));
      expect(args).toContain(`--${input}="$${variable}"`);
    }
    for (const secret of [
      "--github-token env://GITHUB_TOKEN",
      "--registry-password env://GITHUB_TOKEN",
      "--oidc-request-url env://ACTIONS_ID_TOKEN_REQUEST_URL",
      "--oidc-request-token env://ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ]) {
      expect(args).toContain(secret);
    }
    expect(step?.env?.GITHUB_TOKEN).toBe(expression("secrets.GITHUB_TOKEN"));
  });

  test("the release template appends the Markdown report to the job summary, also after a failure", () => {
    const job = Object.values(template("release.yml").jobs)[0] as Workflow["jobs"][string];
    const [call] = daggerSteps(job);
    expect(call?.with?.args).toMatch(/ --report-format markdown(\s|$)/);
    expect(call?.id).toBe("release");
    const summary = job.steps[job.steps.indexOf(call as Step) + 1];
    expect(summary?.if).toBe("always()");
    // The report reaches the shell through the environment, never pasted into the script.
    expect(summary?.env?.REPORT).toBe(expression("steps.release.outputs.output"));
    expect(summary?.run).not.toContain("${{");
    // Run as the runner runs it (bash -e), with a report and without one.
    const dir = mkdtempSync(join(tmpdir(), "summary-"));
    try {
      const summaryFile = join(dir, "summary.md");
      const runStep = (report: string) =>
        execFileSync("bash", ["-e", "-c", summary?.run ?? "exit 1"], {
          env: { PATH: process.env.PATH, REPORT: report, GITHUB_STEP_SUMMARY: summaryFile },
        });
      runStep("### Release v1.0.0\n\n| a | `b` |");
      runStep("");
      expect(readFileSync(summaryFile, "utf8")).toBe(
        "### Release v1.0.0\n\n| a | `b` |\n" +
          'The release did not finish: its report is at the end of the log of the step "dagger call release".\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the release template's compile cache: off on tags unless the release's own secret names one", () => {
    const text = readFileSync(join(TEMPLATES, "release.yml"), "utf8");
    const job = Object.values(template("release.yml").jobs)[0] as Workflow["jobs"][string];
    // maturin's policy for tag builds (PyO3/maturin#2425): no cache others can write, unless
    // the project names one in a secret only this workflow reads.
    expect(job.env?.COMPILE_CACHE).toBe(expression("secrets.RELEASE_COMPILE_CACHE"));
    const args = daggerSteps(job)[0]?.with?.args ?? "";
    expect(args).toContain(
      "${COMPILE_CACHE:+--compile-cache env://COMPILE_CACHE " +
        "--actions-results-url env://ACTIONS_RESULTS_URL " +
        "--actions-runtime-token env://ACTIONS_RUNTIME_TOKEN} release",
    );
    expect(words(args).slice(0, words(args).indexOf("release"))).toContain("--compile-cache");
    // The runner's two variables: exposed by a step pinned to a commit, before the dagger step,
    // only when there is a cache; masked and exported, never printed.
    const exposeAt = job.steps.findIndex((s) => s.uses?.startsWith("actions/github-script@"));
    const expose = job.steps[exposeAt] as Step;
    expect(expose.uses).toBe("actions/github-script@ed597411d8f924073f98dfc5c65a23a2325f34cd");
    expect(text).toContain(`uses: ${expose.uses} # v8.0.0`);
    expect(exposeAt).toBeLessThan(job.steps.indexOf(daggerSteps(job)[0] as Step));
    expect(expose.if).toBe("env.COMPILE_CACHE != ''");
    const script = expose.with?.script ?? "";
    expect(script).toContain("core.setSecret(value)");
    expect(script).toContain("core.exportVariable(name, value)");
    expect(script).not.toMatch(/console\.|core\.(info|debug|notice|warning)|setOutput/);
    // Secrets reach dagger as env:// names only; no step's shell expands them.
    for (const name of ["ACTIONS_RESULTS_URL", "ACTIONS_RUNTIME_TOKEN", "COMPILE_CACHE"]) {
      expect(text).not.toContain(`$${name}`);
      expect(text).not.toContain(`\${${name}}`);
    }
  });

  test("the image template: pushes to main publish the latest image with one dagger call", () => {
    const image = template("image.yml");
    expect(image.on.push).toEqual({ branches: ["main"] });
    expect(image.permissions).toMatchObject({ packages: "write" });
    const steps = Object.values(image.jobs).flatMap(daggerSteps);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.with?.module).toBe("MODULE_REF");
    const args = steps[0]?.with?.args ?? "";
    expect(expectValidCall(args)).toBe("publish-image");
    expect(args).toContain('--registry "$REGISTRY"');
    expect(args).not.toContain("--tag");
  });

  test("ci.yml: the test command via .ci/run, and the real pipeline on the sample crate", () => {
    const ci = workflow("ci.yml");
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    const jobs = Object.values(ci.jobs);
    expect(jobs.flatMap((j) => j.steps.map((s) => s.run)).filter(Boolean)).toEqual([".ci/run"]);
    const calls = jobs.flatMap(daggerSteps).map((s) => s.with?.args ?? "");
    expect(calls.map(expectValidCall).sort()).toEqual(["build", "release"]);
    // README's own set-up command, exactly.
    expect(calls).toContain("release --tag v0.1.0 --dry-run");
    expect(calls.find((c) => c.startsWith("build"))).toMatch(/--target \S+-unknown-linux-gnu/);
  });

  test("README's set-up command is the one ci.yml runs", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    expect(readme).toContain("dagger call release --tag v0.1.0 --dry-run\n");
  });
});
