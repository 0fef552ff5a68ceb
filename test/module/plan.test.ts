import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import { SINGLE_PACKAGE } from "../plan/fixtures.js";
import { planFor } from "../support/plan.js";
import { EXAMPLE_DIR, readProject, scratchDir, writeTree } from "../support/projects.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const mod = new ModuleUnderTest();
const scratch = scratchDir("module-plan");

beforeAll(() => mod.start());
afterAll(async () => {
  await mod.stop();
  scratch.remove();
});

describe("dagger call plan", () => {
  test("returns the plan of the default source (example/) as JSON, running nothing", async () => {
    const outcome = await mod.call("plan", {
      tag: "v0.1.5",
      sha: SHA,
      repository: "octo/sample-usage",
    });
    expect(outcome.error).toBeUndefined();
    const expected = await planFor({
      files: await readProject(EXAMPLE_DIR),
      tag: "v0.1.5",
      commit: SHA,
      repository: "octo/sample-usage",
    });
    expect(JSON.parse(String(outcome.value))).toEqual(expected);
    expect(outcome.model.execs).toEqual([]);
    expect(outcome.model.containers).toEqual([]);
  });

  test("--source points it at another project; --latest-on-release and --image-name apply", async () => {
    writeTree(scratch.path, SINGLE_PACKAGE);
    const outcome = await mod.call(
      "plan",
      {
        tag: "v2.0.0",
        sha: SHA,
        repository: "Octo/Codex-Usage",
        imageName: "cli",
        latestOnRelease: true,
      },
      { module: { source: directoryArg(scratch.path) } },
    );
    const plan = JSON.parse(String(outcome.value));
    expect(plan.project.packageName).toBe("codex-usage");
    expect(plan.image.references).toContain("ghcr.io/octo/cli:latest");
  });

  test.each([
    [{ tag: "v1.2" }, 'invalid tag "v1.2": it has 2 version number(s) where three are required'],
    [{ tag: "v1.2.3", sha: "deadbeef" }, 'invalid commit sha "deadbeef"'],
  ])("bad input %j fails with the plan's message and runs nothing", async (args, message) => {
    const outcome = await mod.call("plan", args);
    expect(outcome.error).toContain(message);
    expect(outcome.value).toBeUndefined();
    expect(outcome.model.execs).toEqual([]);
  });

  test("a source without Cargo.lock fails before anything runs", async () => {
    const { "Cargo.lock": _lock, ...tree } = SINGLE_PACKAGE;
    const dir = scratchDir("module-plan-nolock");
    try {
      writeTree(dir.path, tree);
      const outcome = await mod.call(
        "plan",
        { tag: "v1.0.0" },
        { module: { source: directoryArg(dir.path) } },
      );
      expect(outcome.error).toContain("Cargo.lock is missing: commit it");
    } finally {
      dir.remove();
    }
  });
});
