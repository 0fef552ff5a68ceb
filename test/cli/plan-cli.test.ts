import { describe, expect, test } from "vitest";
import { LAYOUTS } from "../support/layouts.js";
import { planFor } from "../support/plan.js";
import { npmRunPlan } from "../support/plan-cli.js";
import { EXAMPLE_DIR, readProject } from "../support/projects.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("npm run plan", () => {
  test("prints the same plan as the library, for any project directory", async () => {
    const { code, stdout, stderr } = await npmRunPlan([
      "--source",
      EXAMPLE_DIR,
      "--tag",
      "v0.1.5",
      "--sha",
      SHA,
      "--repository",
      "octo/sample-usage",
    ]);
    expect(stderr.replace(/npm warn .*\n/g, "")).toBe("");
    expect(code).toBe(0);
    const expected = await planFor({
      files: await readProject(EXAMPLE_DIR),
      tag: "v0.1.5",
      commit: SHA,
      repository: "octo/sample-usage",
    });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  test("--cargo-package chooses the workspace package to release", async () => {
    const { code, stdout } = await npmRunPlan([
      "--source",
      LAYOUTS.pureRustWorkspace,
      "--tag",
      "v1.3.0",
      "--cargo-package",
      "beta",
    ]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect([plan.project.packageName, plan.project.bins, plan.python]).toEqual([
      "beta",
      ["beta", "beta-admin"],
      null,
    ]);
  });

  test("--targets takes a comma-separated list, as `dagger call --targets` does, and repeats", async () => {
    const { code, stdout } = await npmRunPlan([
      "--tag",
      "v0.1.5",
      "--targets",
      "x86_64-unknown-linux-musl,x86_64-unknown-linux-gnu",
      "--targets",
      "s390x-unknown-linux-gnu",
    ]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.targetSource).toBe("--targets");
    expect(plan.targets.map((t: { triple: string }) => t.triple)).toEqual([
      "x86_64-unknown-linux-gnu",
      "x86_64-unknown-linux-musl",
      "s390x-unknown-linux-gnu",
    ]);
    expect(plan.image.platforms).toEqual(["linux/amd64", "linux/s390x"]);
  });

  test.each([
    [
      ["--tag", "v0.1.5", "--targets", "x86_64-unknown-linux-gnu,riscv64gc-unknown-linux-gnu"],
      'error: --targets names "riscv64gc-unknown-linux-gnu", which this pipeline cannot build: ' +
        "choose from x86_64-unknown-linux-gnu, ",
    ],
    [["--tag", "v1.2"], 'error: invalid tag "v1.2": it has 2 version number(s)'],
    [
      ["--source", LAYOUTS.pureRustWorkspace, "--tag", "v1.3.0"],
      "several packages that have binaries: alpha, beta. Choose the one to release with --cargo-package <name>",
    ],
    [["--tag", "v1.2.3+meta"], "build metadata (+...) is not allowed"],
    [
      ["--source", "/nonexistent-project", "--tag", "v1.2.3"],
      "error: --source /nonexistent-project does not exist or is not a directory",
    ],
    [["--tag", "v1.2.3", "--repository", "no-slash"], 'invalid repository "no-slash"'],
    [[], "--tag is required"],
    [["--tag", "v1.2.3", "--bogus"], "Unknown option '--bogus'"],
  ])("bad input %j exits non-zero and prints no plan", async (args, message) => {
    const { code, stdout, stderr } = await npmRunPlan(args);
    expect(code).not.toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toContain(message);
  });
});
