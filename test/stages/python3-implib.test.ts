import { createHash } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { importLibraryDir } from "../../lib/commands/python3-implib.js";
import { PYTHON3_DEF } from "../../lib/plan/pyo3-windows.js";
import { findTarget } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import { directoryArg, ModuleUnderTest, REPO_ROOT } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import type { FreshRoot } from "../support/fresh-root.js";
import { LAYOUTS } from "../support/layouts.js";
import { scratchDir } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";

/**
 * The Windows wheel of a pyo3 < 0.29 extension without generate-import-lib (the seed's shape):
 * the step the module records makes python3.lib from the pinned python3.def, replayed with real
 * llvm-dlltool in a fresh root; the library's exports are read back; and pyo3 0.20's own build
 * script, run for x86_64-pc-windows-msvc with PYO3_CROSS_LIB_DIR, links python3 from there.
 * (Linking the DLL needs the MSVC CRT, which cannot be had here.)
 */
const WINDOWS = findTarget("x86_64-pc-windows-msvc");
const DEF = join(REPO_ROOT, "container-scripts", PYTHON3_DEF.file);
const SCRIPT = join(REPO_ROOT, "container-scripts/pyo3/make-python3-implib.sh");

const mod = new ModuleUnderTest();
const scratch = scratchDir("python3-implib");
const roots: FreshRoot[] = [];
let implib: ExecRecord;

beforeAll(async () => {
  await mod.start();
  const outcome = await mod.call(
    "wheels",
    { target: WINDOWS.triple, tag: "v0.2.0" },
    {
      module: { source: directoryArg(LAYOUTS.pyo3Abi3) },
      answers: {
        entries: ({ path }) =>
          path.startsWith("/wheels/") ? ["sample_usage-0.2.0-cp38-abi3-win_amd64.whl"] : undefined,
      },
    },
  );
  if (outcome.error) throw new Error(outcome.error);
  implib = outcome.model.execs.find((e) =>
    e.argv[1]?.endsWith("make-python3-implib.sh"),
  ) as ExecRecord;
}, 120_000);

afterAll(async () => {
  for (const root of roots) root.remove();
  scratch.remove();
  await mod.stop();
});

/** The exports of a .def file (one name per line after EXPORTS, DATA ones marked). */
function defExports(): string[] {
  const lines = readFileSync(DEF, "utf8").split(/\r?\n/);
  return lines.slice(lines.indexOf("EXPORTS") + 1).filter((l) => l.trim() !== "");
}

/** The architecture every member of an import library is for, and its __imp_ symbols. */
async function inspect(
  lib: string,
): Promise<{ archs: Set<string>; dlls: Set<string>; imports: string[] }> {
  const headers = (await run("llvm-readobj", ["--file-headers", lib])).stdout;
  const archs = new Set([...headers.matchAll(/^Arch: (\S+)$/gm)].map((m) => m[1] as string));
  const dlls = new Set([...headers.matchAll(/^File: .*\((.+)\)$/gm)].map((m) => m[1] as string));
  const symbols = (await run("llvm-nm", [lib])).stdout;
  const imports = [...symbols.matchAll(/ __imp_(\S+)$/gm)].map((m) => m[1] as string);
  return { archs, dlls, imports };
}

describe("python3.lib, made the way the plan says", () => {
  test("the module's python3.def is the pinned one: python3-dll-a's Stable ABI exports", () => {
    const digest = createHash("sha256").update(readFileSync(DEF)).digest("hex");
    expect(digest).toBe(PYTHON3_DEF.sha256);
    expect(readFileSync(DEF, "utf8").startsWith("LIBRARY python3.dll\nEXPORTS\n")).toBe(true);
    expect(defExports()).toHaveLength(945);
  });

  test("replayed in a fresh root, the recorded step writes an x86-64 import library of every export", async () => {
    expect(implib).toBeDefined();
    // The Windows wheel's container has its caches and the vendored crates mounted; this step
    // reads none of them.
    const mounts = Object.fromEntries(
      Object.keys(implib.mounts).map((path) => [
        path,
        { host: mkdtempSync(join(scratch.path, "mount-")), readOnly: false },
      ]),
    );
    const replayed = await replayInFreshRoot(mod.engine, implib, { mounts });
    roots.push(replayed.root);
    const lib = replayed.root.path(posix.join(importLibraryDir(WINDOWS), "python3.lib"));
    const { archs, dlls, imports } = await inspect(lib);
    expect(archs).toEqual(new Set(["x86_64"]));
    expect(dlls).toEqual(new Set(["python3.dll"]));
    const names = defExports().map((line) => line.split(/\s+/)[0]);
    expect(imports.sort()).toEqual([...names].sort());
    expect((await run("llvm-nm", [lib])).stdout).toMatch(/ T PyArg_ParseTuple$/m);
    // The same bytes on a second run: member dates are fixed.
    const again = await replayInFreshRoot(mod.engine, implib, { mounts });
    roots.push(again.root);
    expect(
      readFileSync(again.root.path(posix.join(importLibraryDir(WINDOWS), "python3.lib"))),
    ).toEqual(readFileSync(lib));
  });

  test("aarch64 gets an arm64 library", async () => {
    const out = join(scratch.path, "aarch64-out");
    await run("sh", [SCRIPT, PYTHON3_DEF.sha256, DEF, out, "aarch64"]);
    expect((await inspect(join(out, "aarch64", "python3.lib"))).archs).toEqual(
      new Set(["aarch64"]),
    );
  });

  test("without llvm-dlltool on PATH, rustup's llvm-ar is called by that name", async () => {
    // A PATH with the script's tools and rustc, but no LLVM of Debian's.
    const bin = join(scratch.path, "bin");
    mkdirSync(bin);
    for (const tool of ["sh", "sha256sum", "sed", "mkdir", "ln", "rustc"]) {
      const path = (await run("sh", ["-c", `command -v ${tool}`])).stdout.trim();
      symlinkSync(path, join(bin, tool));
    }
    const out = join(scratch.path, "fallback-out");
    const { stdout } = await run(
      join(bin, "sh"),
      [SCRIPT, PYTHON3_DEF.sha256, DEF, out, "x86_64"],
      {
        env: { ...process.env, PATH: bin },
      },
    );
    expect(stdout.trim()).toBe(join(out, "x86_64", "python3.lib"));
    expect(readlinkSync(join(out, "bin", "llvm-dlltool"))).toMatch(
      /\/lib\/rustlib\/[^/]+\/bin\/llvm-ar$/,
    );
    expect((await inspect(join(out, "x86_64", "python3.lib"))).imports).toHaveLength(945);
  });

  test("a python3.def that is not the pinned one is refused", async () => {
    const tampered = join(scratch.path, "python3.def");
    writeFileSync(tampered, `${readFileSync(DEF, "utf8")}Py_Evil\n`);
    await expect(
      run("sh", [
        SCRIPT,
        PYTHON3_DEF.sha256,
        tampered,
        join(scratch.path, "tampered-out"),
        "x86_64",
      ]),
    ).rejects.toThrow(`make-python3-implib: ${tampered} does not have the pinned sha256`);
  });
});

describe("pyo3 0.20's build script for x86_64-pc-windows-msvc, with PYO3_CROSS_LIB_DIR", () => {
  test("links python3 (the Stable ABI's DLL) from the directory the step wrote", async () => {
    const crate = join(scratch.path, "crate");
    cpSync(LAYOUTS.pyo3Abi3, crate, { recursive: true });
    const libDir = join(scratch.path, "lib");
    await run("sh", [SCRIPT, PYTHON3_DEF.sha256, DEF, libDir, "x86_64"]);
    const env = {
      ...process.env,
      CARGO_TARGET_DIR: join(scratch.path, "target"),
      CARGO_TERM_COLOR: "never",
    };
    await run("cargo", ["fetch", "--locked"], { cwd: crate, env, timeoutMs: 300_000 });
    const check = (extra: NodeJS.ProcessEnv) =>
      run(
        "cargo",
        [
          "check",
          "--locked",
          "--offline",
          "--lib",
          "--features",
          "pyo3",
          "--target",
          WINDOWS.triple,
          "-vv",
        ],
        { cwd: crate, env: { ...env, ...extra }, timeoutMs: 600_000 },
      );
    const withLibrary = await check({ PYO3_CROSS_LIB_DIR: join(libDir, "x86_64") });
    const output = `${withLibrary.stdout}\n${withLibrary.stderr}`;
    expect(output).toContain("[pyo3-ffi 0.20.3] cargo:rustc-link-lib=pythonXY:python3");
    expect(output).toContain(
      `[pyo3-ffi 0.20.3] cargo:rustc-link-search=native=${join(libDir, "x86_64")}`,
    );
    expect(output).toContain("[pyo3-ffi 0.20.3] cargo:rustc-cfg=Py_LIMITED_API");
  }, 900_000);
});
