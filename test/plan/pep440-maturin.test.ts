import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readManifest } from "../../lib/plan/manifest.js";
import { patchVersion } from "../../lib/plan/patch.js";
import { parseTag } from "../../lib/plan/version.js";
import { run } from "../example/tools.js";
import { copyExample, readProject, scratchDir, writeTree } from "../support/projects.js";

const scratch = scratchDir("pep440");
afterAll(() => scratch.remove());

/**
 * Our PEP 440 spelling must be the one maturin writes into the wheels and the sdist (the
 * verification step compares them): ask real maturin, on the sample crate patched by our patch.
 */
describe("the plan's PEP 440 version is maturin's", () => {
  test.each(["v0.1.5", "v1.0.0-rc.1", "v1.0.0-alpha.2", "v2.1.0-beta.3", "v0.9.0-dev.4"])(
    "%s",
    async (tag) => {
      const version = parseTag(tag);
      const dir = join(scratch.path, tag);
      copyExample(dir);
      const files = await readProject(dir);
      writeTree(dir, (await patchVersion(files, readManifest(files), version)).files);
      const out = join(dir, "dist");
      await run("maturin", ["sdist", "--out", out], { cwd: dir });
      const [sdist] = readdirSync(out);
      expect(sdist).toBe(`sample_usage-${version.pep440}.tar.gz`);
      const pkgInfo = execFileSync("tar", [
        "-xzOf",
        join(out, sdist as string),
        `sample_usage-${version.pep440}/PKG-INFO`,
      ]).toString();
      expect(pkgInfo).toMatch(
        new RegExp(`^Version: ${version.pep440.replaceAll(".", "\\.")}$`, "m"),
      );
    },
  );
});
