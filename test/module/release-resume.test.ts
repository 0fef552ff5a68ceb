import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ModuleUnderTest } from "../harness/dagger-call.js";
import { isExtractStep, isRustWork } from "../support/execs.js";
import {
  ARCHIVES,
  built,
  builtAndUploaded,
  IMAGE_REFS,
  isUvPublish,
  MANIFEST,
  PUBLISHER,
  REPOSITORY,
  ReleaseServices,
  SHA,
  STAGED,
  TAG,
} from "../support/release-scenario.js";

/**
 * Build once, publish the same bytes: a first run stages everything on a draft and fails at
 * some destination; the re-run, on a fresh engine (nothing cached, only the registry and the
 * services outlive it, as on GitHub's runners), publishes what was staged without compiling.
 */
const first = new ModuleUnderTest();
const fresh = new ModuleUnderTest();
let services: ReleaseServices;

beforeAll(async () => {
  await Promise.all([first.start(), fresh.start()]);
  // ghcr.io outlives both engines.
  fresh.engine.registry = first.engine.registry;
});
afterAll(async () => {
  await Promise.all([first.stop(), fresh.stop()]);
});
afterEach(async () => {
  first.engine.registry.images.clear();
  await services?.stop();
});

function draft() {
  return services.github.releasesForTag(TAG)[0];
}

/** A first run whose PyPI trusted publisher is not registered yet: the typical first release. */
async function firstRunFailingAtPypi() {
  services = await new ReleaseServices({ pypiPublishers: [] }).start();
  const outcome = await first.call("release", services.args(), {
    answers: builtAndUploaded(services),
  });
  return outcome;
}

describe("a release whose PyPI step fails, then its re-run", () => {
  test("first run: everything staged, image and TestPyPI done, still a draft, the resume step named", async () => {
    const outcome = await firstRunFailingAtPypi();
    expect(outcome.error).toMatch(/\nPyPI \(.*\)\n\s+failed\s+-\s+.*invalid-publisher/);
    expect(draft()?.draft).toBe(true);
    expect(
      draft()
        ?.assets.map((a) => a.name)
        .sort(),
    ).toEqual(STAGED);
    expect(outcome.model.publishes.map((p) => p.address)).toEqual(IMAGE_REFS);
    expect(services.testPypi.releases[0]?.files).toHaveLength(6);
    expect(outcome.error).toMatch(
      /GitHub Release octo\/sample-usage v0\.1\.5\n\s+skipped\s+-\s+stays a draft: PyPI failed/,
    );
    expect(outcome.error).toContain(
      "To resume: fix the cause above, then run the release for v0.1.5 again (in GitHub Actions: " +
        "Release -> Run workflow, tag v0.1.5). The staged files are published as they are: nothing is rebuilt.",
    );
  });

  test("re-run on a fresh engine: nothing compiled, files verified, PyPI completes, the release goes public last", async () => {
    await firstRunFailingAtPypi();
    services.pypi.publishers.push(PUBLISHER);
    const draftAtUpload: boolean[] = [];
    const answers = builtAndUploaded(services);
    const rerun = await fresh.call("release", services.args(), {
      answers: {
        ...answers,
        exec: (e) => {
          if (isUvPublish(e)) draftAtUpload.push(draft()?.draft === true);
          return answers.exec?.(e);
        },
      },
    });
    expect(rerun.error).toBeUndefined();
    expect(rerun.model.execs.filter(isRustWork)).toEqual([]);
    // The image this commit already has is not pushed again; TestPyPI already has every file.
    expect(rerun.model.publishes).toEqual([]);
    expect(rerun.model.execs.filter(isUvPublish)).toHaveLength(1);
    expect(draftAtUpload).toEqual([true]);
    expect(services.pypi.releases[0]?.files).toHaveLength(6);
    expect(draft()).toMatchObject({ draft: false, makeLatest: "true" });
    expect(services.github.releasesForTag(TAG)).toHaveLength(1);
    // Every staged file was downloaded once.
    expect(services.github.requests.filter((r) => r.path.startsWith("/downloads/"))).toHaveLength(
      STAGED.length,
    );
    const report = String(rerun.value);
    expect(report).toContain("Resumed: v0.1.5 was staged by an earlier run");
    for (const ref of IMAGE_REFS)
      expect(report).toMatch(new RegExp(`already there\\s+${ref}\\s+revision ${SHA}`));
    expect(report).toMatch(/TestPyPI \(.*\)\n(\s+already there\s+\S+\s+sha256:\S+\n){6}/);
    expect(report).toMatch(/published\s+v0\.1\.5\s+draft -> public/);
    expect(report.trim().endsWith("OK")).toBe(true);
  });
});

describe("resuming from the staged draft", () => {
  test("a staged file whose bytes differ from the manifest stops everything, naming the file", async () => {
    services = await new ReleaseServices({ pypiPublishers: [] }).start();
    await first.call("release", services.args({ skipTestPypi: true }), { answers: built() });
    const tampered = draft()?.assets.find((a) => a.name === ARCHIVES[0]);
    if (!tampered) throw new Error("no staged archive");
    tampered.bytes = Buffer.from("something else");
    tampered.size = tampered.bytes.length;
    tampered.digest = `sha256:${createHash("sha256").update(tampered.bytes).digest("hex")}`;
    services.pypi.publishers.push(PUBLISHER);
    first.engine.registry.images.clear();

    const rerun = await fresh.call("release", services.args({ skipTestPypi: true }), {
      answers: built(),
    });
    expect(rerun.error).toContain(
      `The files staged on release v0.1.5 do not match its ${MANIFEST}`,
    );
    expect(rerun.error).toContain(
      `${ARCHIVES[0]}: the release holds sha256:${tampered.digest.slice(7)}`,
    );
    expect(rerun.error).toContain("Nothing was published.");
    expect(rerun.model.publishes).toEqual([]);
    expect(rerun.model.execs.filter(isUvPublish)).toEqual([]);
    expect(draft()?.draft).toBe(true);
  });

  test("a fully published release: the re-run builds nothing, publishes nothing, finds everything there", async () => {
    services = await new ReleaseServices().start();
    const done = await first.call("release", services.args(), {
      answers: builtAndUploaded(services),
    });
    expect(done.error).toBeUndefined();
    const writes = services.github.writes().length;

    const again = await fresh.call("release", services.args(), {
      answers: builtAndUploaded(services),
    });
    expect(again.error).toBeUndefined();
    expect(again.model.execs.filter(isRustWork)).toEqual([]);
    expect(again.model.publishes).toEqual([]);
    expect(again.model.execs.filter(isUvPublish)).toEqual([]);
    expect(services.github.writes()).toHaveLength(writes);
    const report = String(again.value);
    expect(report).not.toMatch(/^\s+(published|staged)\s/m);
    expect(report).toMatch(
      /GitHub Release octo\/sample-usage v0\.1\.5\n\s+already there\s+v0\.1\.5/,
    );
    expect(report.match(/already there/g)?.length).toBe(
      STAGED.length - 1 + IMAGE_REFS.length + 12 + 1,
    );
  });

  test("if the image was never pushed, the re-run builds it from the staged archives, still without compiling", async () => {
    services = await new ReleaseServices().start();
    // The first run's push fails: the registry refuses it.
    const refused = await first.call("release", services.args(), {
      answers: builtAndUploaded(services, {
        publish: () => {
          throw new Error("unauthorized: authentication required");
        },
      }),
    });
    expect(refused.error).toMatch(
      /\nImage ghcr\.io\/octo\/sample-usage \(linux\/amd64, linux\/arm64\)\n\s+failed\s+-\s+.*unauthorized/,
    );
    expect(refused.error).toMatch(/\nTestPyPI \(.*\)\n\s+skipped\s+-\s+Image failed first/);
    first.engine.registry.images.clear();

    const rerun = await fresh.call("release", services.args(), {
      answers: builtAndUploaded(services),
    });
    expect(rerun.error).toBeUndefined();
    expect(rerun.model.execs.filter(isRustWork)).toEqual([]);
    // The Linux archives were unpacked and their binaries checked again, then pushed.
    expect(rerun.model.execs.filter(isExtractStep)).toHaveLength(2);
    expect(rerun.model.publishes.map((p) => p.address)).toEqual(IMAGE_REFS);
    const variant = rerun.model.publishes[0]?.variants.find((v) => v.platform === "linux/arm64");
    expect(variant?.labels["org.opencontainers.image.revision"]).toBe(SHA);
    expect(draft()?.draft).toBe(false);
  });

  test("a draft staged from another commit is refused before anything runs", async () => {
    services = await new ReleaseServices().start();
    await first.call(
      "release",
      services.args({ skipPypi: true, skipImage: true, skipTestPypi: true }),
      {
        answers: built({ publish: () => undefined }),
      },
    );
    // Publishing made it public; make it the draft an interrupted run for another commit left.
    const staged = draft();
    if (!staged) throw new Error("nothing staged");
    staged.draft = true;
    const other = "f".repeat(40);
    const manifest = staged.assets.find((a) => a.name === MANIFEST);
    if (!manifest) throw new Error("no manifest");
    manifest.bytes = Buffer.from(manifest.bytes.toString().replace(SHA, other));
    manifest.size = manifest.bytes.length;
    manifest.digest = `sha256:${createHash("sha256").update(manifest.bytes).digest("hex")}`;

    const rerun = await fresh.call("release", services.args(), { answers: built() });
    expect(rerun.error).toContain(`release v0.1.5 on GitHub was staged with commit ${other}`);
    expect(rerun.error).toContain(`at commit ${SHA} of ${REPOSITORY}`);
    expect(rerun.model.containers).toEqual([]);
  });

  test("--rebuild builds and checks anew; identical files stay as staged", async () => {
    services = await new ReleaseServices().start();
    await first.call("release", services.args(), { answers: builtAndUploaded(services) });
    const rebuilt = await fresh.call("release", services.args({ rebuild: true }), {
      answers: builtAndUploaded(services),
    });
    expect(rebuilt.error).toBeUndefined();
    expect(rebuilt.model.execs.filter(isRustWork).length).toBeGreaterThan(0);
    const report = String(rebuilt.value);
    expect(report).toContain("Rebuilt (--rebuild)");
    for (const file of STAGED) expect(report).toMatch(new RegExp(`already there\\s+${file}\\s`));
  });
});
