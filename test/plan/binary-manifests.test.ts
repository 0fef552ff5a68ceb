import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { binaryBuildManifests } from "../../lib/plan/binary-manifests.js";
import { prepareRelease } from "../../lib/plan/release-plan.js";
import { REPO_ROOT } from "../harness/module-files.js";
import { readProject } from "../support/projects.js";

/** The one change: `before` and `after` differ only where the list was. */
function onlyListReplaced(before: string, after: string, list: string) {
  const at = before.indexOf(list);
  expect(at, `${list} not in the manifest`).toBeGreaterThanOrEqual(0);
  expect(after).toBe(`${before.slice(0, at)}["rlib"]${before.slice(at + list.length)}`);
}

const crateTypes = (text: string) =>
  (parse(text) as { lib?: { "crate-type"?: string[] } }).lib?.["crate-type"];

describe("the binaries' manifests: a cdylib+rlib library builds as its rlib only", () => {
  test('the seed\'s shape (example/): `[lib] crate-type = ["cdylib", "rlib"]`', async () => {
    const text = readFileSync(join(REPO_ROOT, "example", "Cargo.toml"), "utf8");
    const out = await binaryBuildManifests({ "Cargo.toml": text });
    expect(Object.keys(out)).toEqual(["Cargo.toml"]);
    onlyListReplaced(text, out["Cargo.toml"] as string, '["cdylib", "rlib"]');
    expect(crateTypes(out["Cargo.toml"] as string)).toEqual(["rlib"]);
  });

  test.each([
    ["reversed", '[lib]\nname = "x"\ncrate-type = ["rlib", "cdylib"]\n', '["rlib", "cdylib"]'],
    [
      "over several lines, with a comment",
      '[lib]\ncrate-type = [\n  "cdylib", # Python\n  "lib",\n  "staticlib",\n]\npath = "src/lib.rs"\n',
      '[\n  "cdylib", # Python\n  "lib",\n  "staticlib",\n]',
    ],
    [
      "as a dotted key",
      'lib.crate-type = ["cdylib", "rlib"]\n[package]\nname = "x"\n',
      '["cdylib", "rlib"]',
    ],
    [
      "in an inline table",
      'lib = { name = "x", crate-type = ["cdylib", "rlib"] }\n',
      '["cdylib", "rlib"]',
    ],
  ])("%s", async (_name, text, list) => {
    const out = await binaryBuildManifests({ "crates/py/Cargo.toml": text });
    onlyListReplaced(text, out["crates/py/Cargo.toml"] as string, list);
  });

  test.each([
    ["a cdylib alone (Rust code cannot link it)", '[lib]\ncrate-type = ["cdylib"]\n'],
    ["an rlib alone", '[lib]\ncrate-type = ["rlib"]\n'],
    ["no crate-type", '[lib]\nname = "x"\n'],
    ["no [lib]", '[package]\nname = "x"\n[[bin]]\nname = "x"\n'],
    ["a virtual workspace", '[workspace]\nmembers = ["crates/*"]\n'],
  ])("left alone: %s", async (_name, text) => {
    expect(await binaryBuildManifests({ "Cargo.toml": text })).toEqual({});
  });

  test("the plan's run: the version-patched text, each member by its path", async () => {
    const files = await readProject(join(REPO_ROOT, "example"));
    const { binaryManifests, patchedFiles } = await prepareRelease(files, { tag: "v2.3.4" });
    const narrowed = binaryManifests["Cargo.toml"] as string;
    expect(narrowed).toContain('version = "2.3.4"');
    onlyListReplaced(patchedFiles["Cargo.toml"] as string, narrowed, '["cdylib", "rlib"]');
  });
});
