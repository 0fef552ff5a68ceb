import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findTarget } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import { type ArgValue, directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { auditableMount } from "../support/auditable.js";
import { isBinaryCheck, isCompile, isVendor } from "../support/execs.js";
import type { FreshRoot } from "../support/fresh-root.js";
import { LAYOUTS } from "../support/layouts.js";
import { scratchDir } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";
import { EXAMPLE_DIR } from "./sample-binaries.js";

/**
 * `dagger call --source <workspace> [--cargo-package beta] build --tag v2.0.0-beta.1` on the two
 * workspace fixtures, the vendoring, `cargo zigbuild` (at the workspace root, one `--bin` per
 * binary of the chosen package) and the binary check replayed with real tools in fresh roots:
 * the package's binaries are built and report the patched version.
 */

const TIMEOUT_MS = 300_000;
const TAG = "v2.0.0-beta.1";
const HOST = findTarget("x86_64-unknown-linux-gnu");
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");

const CASES = [
  {
    layout: "pureRustWorkspace" as const,
    module: { cargoPackage: "beta" } as Record<string, ArgValue>,
    binaries: ["beta", "beta-admin"],
  },
  { layout: "manifestPath" as const, module: {}, binaries: ["lintkit", "lintkitx"] },
];

function dir(path: string, readOnly = false) {
  mkdirSync(path, { recursive: true });
  return { host: path, readOnly };
}

describe.each(CASES)("the $layout fixture's binaries, replayed", (c) => {
  const mod = new ModuleUnderTest();
  const scratch = scratchDir(`layout-binaries-${c.layout}`);
  const roots: FreshRoot[] = [];
  let compile: ExecRecord;
  let built: FreshRoot;
  let checks: string[] = [];

  async function replay(exec: ExecRecord | undefined, options = {}) {
    if (!exec) throw new Error("no such step was recorded");
    const result = await replayInFreshRoot(mod.engine, exec, options);
    roots.push(result.root);
    return result;
  }

  beforeAll(async () => {
    await mod.start();
    const outcome = await mod.call(
      "build",
      { target: HOST.triple, tag: TAG },
      {
        module: { source: directoryArg(LAYOUTS[c.layout]), ...c.module },
        answers: {
          exec: (e) => (e.argv.at(-1) === "--version" ? { stdout: "2.0.0-beta.1" } : undefined),
        },
      },
    );
    if (outcome.error) throw new Error(outcome.error);
    const execs = outcome.model.execs;
    const vendor = await replay(execs.find(isVendor), {
      mounts: { "/cargo-home": dir(join(CACHES, "cargo-home")) },
    });
    compile = execs.find(isCompile) as ExecRecord;
    built = (
      await replay(compile, {
        files: { "/.cargo/config.toml": readFileSync(vendor.root.path("/vendored/config.toml")) },
        mounts: {
          "/vendored": dir(vendor.root.path("/vendored"), true),
          "/cargo-target": dir(join(scratch.path, "cargo-target")),
          "/zig-cache": dir(join(CACHES, "zig")),
          ...(await auditableMount(mod.engine, execs)),
        },
      })
    ).root;
    checks = [];
    for (const bin of c.binaries) {
      const path = `/in/${HOST.triple}/release/${bin}`;
      const check = execs.find(
        (e) => isBinaryCheck(e) && e.argv.some((w) => w.includes(`"${path}"`)),
      );
      const files = { [path]: readFileSync(built.path(`/out/${bin}`)) };
      checks.push((await replay(check, { files })).stdout);
    }
  }, TIMEOUT_MS);

  afterAll(async () => {
    for (const root of roots) root.remove();
    scratch.remove();
    await mod.stop();
  });

  test("cargo zigbuild builds exactly the chosen package's binaries, from the workspace root", () => {
    expect(compile.workdir).toBe("/src");
    expect(compile.argv[2]).toContain(c.binaries.map((bin) => `--bin ${bin}`).join(" "));
  });

  test("each binary passes the binary check", () => {
    expect(checks).toHaveLength(c.binaries.length);
    for (const stdout of checks) {
      expect(stdout).toMatch(
        /^ok: x86_64-unknown-linux-gnu: ELF 64-bit x86_64 executable, needs GLIBC_\S+ \(floor 2\.17\)$/m,
      );
    }
  });

  test.each(c.binaries)("%s reports the patched version", async (bin) => {
    const path = join(scratch.path, bin);
    writeFileSync(path, readFileSync(built.path(`/out/${bin}`)));
    chmodSync(path, 0o755);
    const { stdout } = await run(path, ["--version"]);
    expect(stdout.trim()).toBe(`${bin} 2.0.0-beta.1`);
  });
});
