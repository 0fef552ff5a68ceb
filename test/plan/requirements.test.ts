import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { readManifest } from "../../lib/plan/manifest.js";
import { patchVersion } from "../../lib/plan/patch.js";
import { parseTag } from "../../lib/plan/version.js";
import { run } from "../example/tools.js";
import { LAYOUTS, layoutCopy } from "../support/layouts.js";
import { planFor } from "../support/plan.js";
import { readProject, writeTree } from "../support/projects.js";

/**
 * Workspaces that pin their own members by version (sqruff, nautilus_trader, jj, polars,
 * rerun): the tag's version is patched into the members, so every requirement on them must
 * follow, byte for byte in place, or cargo refuses the tree. Proved with real cargo on the
 * fixtures, for a minor bump on 0.x, a major bump and prereleases.
 */
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/**
 * `cargo metadata --locked --offline` on a tree (dependencies resolved: that is where a
 * requirement that no longer matches fails): the version of each package, by name@manifest.
 */
async function metadata(dir: string): Promise<Record<string, string>> {
  const { stdout } = await run(
    "cargo",
    ["metadata", "--locked", "--offline", "--format-version", "1"],
    {
      cwd: dir,
    },
  );
  const { packages } = JSON.parse(stdout) as {
    packages: { name: string; version: string; manifest_path: string }[];
  };
  return Object.fromEntries(
    packages.map((p) => [`${p.name}@${p.manifest_path.slice(dir.length + 1)}`, p.version]),
  );
}

/** The lines a patch changed, each as [before, after]. */
function changedLines(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) =>
    line === b[i] ? [] : [[line, b[i] as string] as [string, string]],
  );
}

type Pinned = "pinnedWorkspace" | "pinnedWorkspace1x";

async function patchedCopy(layout: Pinned, tag: string) {
  const copy = layoutCopy(layout);
  cleanups.push(copy.remove);
  const files = await readProject(copy.path);
  const patch = await patchVersion(files, readManifest(files), parseTag(tag));
  return { dir: copy.path, files, patch };
}

describe("requirements on patched members follow the version, and cargo --locked accepts the tree", () => {
  test.each([
    ["pinnedWorkspace", "v0.5.0", "a minor bump on 0.x", 9],
    ["pinnedWorkspace", "v0.4.15", "a patch bump (^0.4 already accepts it and stays)", 8],
    ["pinnedWorkspace", "v1.0.0", "a major bump", 9],
    ["pinnedWorkspace", "v0.5.0-rc.1", "a prerelease", 9],
    ["pinnedWorkspace1x", "v2.0.0", "a major bump with partial requirements (1, 1.2)", 6],
    ["pinnedWorkspace1x", "v1.30.0-rc1", "a prerelease against partial requirements", 6],
    ["pinnedWorkspace1x", "v1.3.0-rc.1", "a minor prerelease", 6],
  ] as const)("%s %s: %s", async (layout, tag, _case, rewritten) => {
    const { dir, files, patch } = await patchedCopy(layout, tag);
    const version = parseTag(tag).cargo;

    // The version patch alone (what the release did before) is refused by cargo.
    const { requirements, files: patched } = patch;
    const withoutRequirements = Object.fromEntries(
      Object.entries(patched).filter(
        ([file]) => file === "Cargo.lock" || !requirements.some((r) => r.file === file),
      ),
    );
    const onlyVersions = layoutCopy(layout);
    cleanups.push(onlyVersions.remove);
    writeTree(onlyVersions.path, {
      ...withoutRequirements,
      // [workspace.package] is in the root manifest, with requirements: its version line only.
      "Cargo.toml": files.cargoToml.replace(/^version = "[^"]+"/m, `version = "${version}"`),
    });
    await expect(metadata(onlyVersions.path)).rejects.toThrow(
      /failed to select a version for the requirement/,
    );

    // With the requirements rewritten, it is accepted, every member at the new version.
    expect(requirements).toHaveLength(rewritten);
    writeTree(dir, patched);
    const versions = await metadata(dir);
    for (const [pkg, v] of Object.entries(versions)) {
      if (pkg.startsWith("foo-plugin@")) expect(v).toBe("2.1.0");
      else if (pkg.includes("@vendor/")) expect(v).toBe("0.3.0");
      else expect(v, pkg).toBe(version);
    }
    // Every changed line of every manifest changed only a version string.
    for (const [file, text] of Object.entries(patched)) {
      const before = readFileSync(join(LAYOUTS[layout], file), "utf8");
      for (const [a, b] of changedLines(before, text)) {
        expect(a.replace(/(\d+)(\.\d+)*(-[0-9A-Za-z.-]+)?/g, "V")).toBe(
          b.replace(/(\d+)(\.\d+)*(-[0-9A-Za-z.-]+)?/g, "V"),
        );
      }
    }
  });

  test("the plan lists each rewritten requirement with file, line and column", async () => {
    const plan = await planFor({
      files: await readProject(LAYOUTS.pinnedWorkspace),
      tag: "v0.5.0",
    });
    expect(plan.versionPatch?.requirements).toContainEqual({
      file: "Cargo.toml",
      line: 23,
      column: 24,
      at: "workspace.dependencies.foo-fmt.version",
      package: "foo-fmt",
      before: "=0.4.14",
      after: "=0.5.0",
    });
    expect(
      plan.versionPatch?.requirements.map((r) => `${r.file}: ${r.at} ${r.before} -> ${r.after}`),
    ).toEqual([
      "Cargo.toml: workspace.dependencies.foo-core.version 0.4.14 -> 0.5.0",
      "Cargo.toml: workspace.dependencies.foo-fmt.version =0.4.14 -> =0.5.0",
      "Cargo.toml: workspace.dependencies.macros.version 0.4.14 -> 0.5.0",
      "crates/foo-cli/Cargo.toml: dev-dependencies.foo-testkit.version 0.4.14 -> 0.5.0",
      "crates/foo-cli/Cargo.toml: build-dependencies.foo-build.version =0.4.14 -> =0.5.0",
      "crates/foo-cli/Cargo.toml: target.cfg(unix).dependencies.foo-unix.version ~0.4.14 -> ~0.5.0",
      "crates/foo-cli/Cargo.toml: target.cfg(windows).dependencies.foo-win.version ^0.4 -> ^0.5",
      "crates/foo-fmt/Cargo.toml: dev-dependencies.foo-testkit.version 0.4.14 -> 0.5.0",
      "crates/foo-testkit/Cargo.toml: dependencies.core-renamed.version ^0.4.14 -> ^0.5.0",
    ]);
  });

  test("what is not on a patched member stays: its own version, another package of the same name, CRLF", async () => {
    const { patch } = await patchedCopy("pinnedWorkspace", "v0.5.0");
    const cli = patch.files["crates/foo-cli/Cargo.toml"] as string;
    expect(cli).toContain('foo-plugin = { path = "../foo-plugin", version = "2.1.0" }');
    // foo-plugin's requirement on the old foo-core outside the workspace: not rewritten.
    expect(patch.files["crates/foo-plugin/Cargo.toml"]).toBeUndefined();
    // The lock's items name both foo-cores by version; only the member's moves.
    const lock = patch.files["Cargo.lock"] as string;
    expect(lock).toContain('"foo-core 0.5.0"');
    expect(lock).toContain('"foo-core 0.3.0"');
    expect(lock).not.toContain('"foo-core 0.4.14"');
    const fmt = patch.files["crates/foo-fmt/Cargo.toml"] as string;
    expect(fmt.split("\r\n").length).toBeGreaterThan(5);
    expect(fmt.replaceAll("\r\n", "")).not.toContain("\n");
  });

  test("a requirement that cannot follow is refused before any work, with file, line, column and the line", async () => {
    const copy = layoutCopy("pinnedWorkspace", {
      "crates/foo-fmt/Cargo.toml": readFileSync(
        join(LAYOUTS.pinnedWorkspace, "crates/foo-fmt/Cargo.toml"),
        "utf8",
      ).replace('version = "0.4.14"', 'version = ">=0.4.14, <0.5"'),
    });
    cleanups.push(copy.remove);
    const files = await readProject(copy.path);
    const error = await patchVersion(files, readManifest(files), parseTag("v0.5.0")).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlanError);
    const [first, shown, caret] = (error as Error).message.split("\n");
    expect(first).toMatch(
      /^crates\/foo-fmt\/Cargo\.toml:\d+:\d+: the requirement on foo-testkit \(dev-dependencies\.foo-testkit\.version = ">=0\.4\.14, <0\.5"\) cannot follow the release's version 0\.5\.0: `>=0\.4\.14, <0\.5` does not accept 0\.5\.0 and has no single operator to keep; write one that accepts it, such as "0\.5\.0" or "=0\.5\.0"$/,
    );
    expect(shown).toMatch(
      /^\d+ \| foo-testkit = \{ path = "\.\.\/foo-testkit", version = ">=0\.4\.14, <0\.5" \}/,
    );
    const column = Number(first?.split(":")[2]);
    expect(caret?.indexOf("^")).toBe((shown?.indexOf("|") ?? 0) + 2 + column - 1);
  });
});
