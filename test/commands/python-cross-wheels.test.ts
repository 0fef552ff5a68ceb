import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkDistCommand } from "../../lib/commands/check-dist.js";
import { sbomCommand } from "../../lib/commands/sbom.js";
import { wheelName } from "../../lib/plan/names.js";
import type { Target } from "../../lib/plan/target.js";
import { DEFAULT_TARGETS, findTarget } from "../../lib/plan/targets.js";
import { CARGO_AUDITABLE } from "../../lib/stages/images.js";
import { run } from "../example/tools.js";
import { ModuleUnderTest } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { auditableMount } from "../support/auditable.js";
import { isMaturinBuild, isVendor } from "../support/execs.js";
import type { FreshRoot } from "../support/fresh-root.js";
import { scratchDir } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";
import { auditDataByObjcopy, EXAMPLE_DIR, runArgv } from "./sample-binaries.js";

/**
 * `dagger call wheels --tag v0.1.5` for the zig targets, the vendoring and maturin steps replayed
 * with real maturin and zig exactly as recorded (argv, working directory, environment, files and
 * mounts at their container paths, in fresh roots). The Linux x86_64 wheel is built twice, into
 * two empty target directories: with SOURCE_DATE_EPOCH maturin's SBOM and dates are fixed, so
 * the two wheels must be the same bytes.
 */

// Five cold pyo3 builds took about 100 s on 2 cores; the rest is headroom for a busy machine.
const WHEELS_TIMEOUT_MS = 900_000;
const TAG = "v0.1.5";
const ABI3_CP38 = { python: "cp38", abi: "abi3" };
const ZIG_TARGETS = DEFAULT_TARGETS.filter((target) => target.toolchain === "zig");
const REPRODUCED = findTarget("x86_64-unknown-linux-gnu");
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");

// How `file` (an independent reader) describes each target's extension module.
const FILE_SAYS: Record<string, RegExp> = {
  "x86_64-unknown-linux-gnu": /^ELF 64-bit LSB shared object, x86-64,/,
  "aarch64-unknown-linux-gnu": /^ELF 64-bit LSB shared object, ARM aarch64,/,
  "x86_64-apple-darwin": /^Mach-O 64-bit x86_64 dynamically linked shared library/,
  "aarch64-apple-darwin": /^Mach-O 64-bit arm64 dynamically linked shared library/,
};

const EXTRACT_MODULE = `
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    [module] = [name for name in wheel.namelist() if name.endswith(".abi3.so")]
    with open(sys.argv[2], "wb") as out:
        out.write(wheel.read(module))
`;

const mod = new ModuleUnderTest();
const scratch = scratchDir("python-cross-wheels");
const roots: FreshRoot[] = [];
/** Each target's wheel (and the Linux x86_64 one's second build), as files of this machine. */
const wheels = new Map<string, string>();
let secondBuild = "";

function dir(path: string, readOnly = false) {
  mkdirSync(path, { recursive: true });
  return { host: path, readOnly };
}

beforeAll(async () => {
  await mod.start();
  const outcome = await mod.call(
    "wheels",
    { tag: TAG },
    {
      answers: {
        // What maturin writes, so the harness can go on to the checks.
        entries: ({ path }) => {
          const triple = /^\/wheels\/(.+)$/.exec(path)?.[1];
          return triple
            ? [wheelName("sample_usage", "0.1.5", ABI3_CP38, findTarget(triple))]
            : undefined;
        },
      },
    },
  );
  if (outcome.error) throw new Error(outcome.error);
  const execs = outcome.model.execs;
  const vendor = execs.find(isVendor) as ExecRecord;
  const vendored = await replayInFreshRoot(mod.engine, vendor, {
    mounts: { "/cargo-home": dir(join(CACHES, "cargo-home")) },
  });
  roots.push(vendored.root);

  const build = async (target: Target, name: string): Promise<string> => {
    const exec = execs.find(
      (e) => isMaturinBuild(e) && e.argv.includes(target.triple),
    ) as ExecRecord;
    const out = `/wheels/${target.triple}`;
    const built = await replayInFreshRoot(mod.engine, exec, {
      files: { "/.cargo/config.toml": readFileSync(vendored.root.path("/vendored/config.toml")) },
      mounts: {
        "/vendored": dir(vendored.root.path("/vendored"), true),
        "/cargo-target": dir(join(scratch.path, `${name}-target`)),
        "/zig-cache": dir(join(CACHES, "zig")),
        "/root/.cache/uv": dir(join(CACHES, "uv")),
        ...(await auditableMount(mod.engine, execs)),
      },
    });
    roots.push(built.root);
    const [wheel, ...others] = readdirSync(built.root.path(out));
    if (wheel === undefined || others.length > 0) {
      throw new Error(`${target.triple}: expected one wheel in ${out}, got ${[wheel, ...others]}`);
    }
    const copy = join(scratch.path, name, wheel);
    mkdirSync(join(scratch.path, name));
    writeFileSync(copy, readFileSync(built.root.path(`${out}/${wheel}`)));
    return copy;
  };
  // One after another: 2 cores, and each build already uses both.
  for (const target of ZIG_TARGETS) wheels.set(target.triple, await build(target, target.triple));
  secondBuild = await build(REPRODUCED, "again");
}, WHEELS_TIMEOUT_MS);

afterAll(async () => {
  for (const root of roots) root.remove();
  scratch.remove();
  await mod.stop();
});

/** The wheel's extension module, as a file of this machine. */
async function extensionModule(target: Target): Promise<string> {
  const module = join(scratch.path, `${target.triple}.so`);
  await run("python3", ["-c", EXTRACT_MODULE, builtWheel(target), module]);
  return module;
}

function builtWheel(target: Target): string {
  const wheel = wheels.get(target.triple);
  if (wheel === undefined) throw new Error(`no wheel was built for ${target.triple}`);
  return wheel;
}

describe.each(ZIG_TARGETS.map((target) => [target.triple, target] as const))(
  "maturin's %s wheel, replayed",
  (triple, target) => {
    test("is named as wheelName() predicts and passes checkDistCommand", async () => {
      expect(
        builtWheel(target).endsWith(`/${wheelName("sample_usage", "0.1.5", ABI3_CP38, target)}`),
      ).toBe(true);
      const spec = {
        version: "0.1.5",
        project: "sample-usage",
        wheels: [
          {
            path: builtWheel(target),
            platformTag: target.wheelPlatformTag,
            pythonTag: "cp38",
            abiTag: "abi3",
            executables: [],
          },
        ],
        sdist: null,
      };
      const { stdout } = await runArgv(checkDistCommand(spec));
      expect(stdout).toMatch(/^ok sample_usage-0\.1\.5-\S+\.whl: sample-usage 0\.1\.5, /);
    });

    test("its extension module is built for the target", async () => {
      const described = await run("file", ["--brief", await extensionModule(target)]);
      expect(described.stdout).toMatch(FILE_SAYS[triple] ?? /no expectation/);
    });

    test("its extension module carries its dependency list (cargo-auditable, a cdylib)", async () => {
      const { packages } = await auditDataByObjcopy(await extensionModule(target), target);
      const root = packages.filter((p) => p.root);
      expect(root.map((p) => [p.name, p.version, p.source])).toEqual([
        ["sample-usage", "0.1.5", "local"],
      ]);
      // pyo3 runs in the module; its macros only ran during the build.
      const runtime = packages.filter((p) => p.kind !== "build").map((p) => p.name);
      expect(runtime).toEqual(expect.arrayContaining(["pyo3", "pyo3-ffi", "sample-usage"]));
      const build = packages.filter((p) => p.kind === "build").map((p) => p.name);
      expect(build).toEqual(expect.arrayContaining(["pyo3-build-config", "pyo3-macros"]));
    });
  },
);

test("two clean builds of the Linux x86_64 wheel are the same bytes, SBOM included", async () => {
  const first = readFileSync(builtWheel(REPRODUCED));
  expect(first.equals(readFileSync(secondBuild))).toBe(true);
  const { stdout } = await run("unzip", ["-l", builtWheel(REPRODUCED)]);
  expect(stdout).toMatch(/sample_usage-0\.1\.5\.dist-info\/sboms\/\S+\.cyclonedx\.json/);
  const sbom = await run("unzip", ["-p", builtWheel(REPRODUCED), "*.cyclonedx.json"]);
  expect(JSON.parse(sbom.stdout)).toMatchObject({
    metadata: { timestamp: expect.stringMatching(/^1980-01-01T00:00:00/) },
  });
  expect(JSON.parse(sbom.stdout)).not.toHaveProperty("serialNumber");
});

test("sbom.py lists a real dependency list: every crate, build-only ones excluded, the graph", async () => {
  // The Linux extension module's list (pyo3 and its macros): the same reader as the archives'.
  const module = await extensionModule(REPRODUCED);
  const { packages } = await auditDataByObjcopy(module, REPRODUCED);
  const output = join(scratch.path, "module.cdx.json");
  await runArgv(
    sbomCommand({
      output,
      target: REPRODUCED.triple,
      package: { name: "sample-usage", version: "0.1.5" },
      binaries: [{ path: module, name: "_native.abi3.so" }],
      sourceDateEpoch: 315532800,
      generator: { name: CARGO_AUDITABLE.crate, version: CARGO_AUDITABLE.version },
    }),
  );
  const sbom = JSON.parse(readFileSync(output, "utf8")) as {
    components: { name: string; version: string; purl: string; scope: string }[];
    dependencies: { ref: string; dependsOn: string[] }[];
  };
  const crates = packages.filter((p) => !p.root);
  expect(sbom.components.map((c) => [c.name, c.version, c.purl, c.scope])).toEqual(
    crates
      .map((p) => [
        p.name,
        p.version,
        `pkg:cargo/${p.name}@${p.version}`,
        p.kind === "build" ? "excluded" : "required",
      ])
      .sort((a, b) => String(a[2]).localeCompare(String(b[2]))),
  );
  // Every edge of the list is in the graph, by purl.
  const purl = (p: (typeof packages)[number]) =>
    p.root
      ? sbom.dependencies.find((d) => d.ref.startsWith("pkg:cargo/sample-usage@"))?.ref
      : `pkg:cargo/${p.name}@${p.version}`;
  for (const p of packages) {
    const edges = sbom.dependencies.find((d) => d.ref === purl(p))?.dependsOn ?? [];
    const expected = (p.dependencies ?? []).map((i) =>
      purl(packages[i] as (typeof packages)[number]),
    );
    expect(edges, p.name).toEqual([...expected].sort());
  }
});
