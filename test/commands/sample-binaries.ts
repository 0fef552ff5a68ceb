import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { SCRIPTS_DIR, SCRIPTS_SOURCE } from "../../lib/commands/python.js";
import type { Target } from "../../lib/plan/target.js";
import { type RunOptions, type RunResult, run } from "../example/tools.js";
import { REPO_ROOT } from "../harness/module-files.js";

export const EXAMPLE_DIR = fileURLToPath(new URL("../../example", import.meta.url));
export const BIN = "sample-usage";

/** Long enough for a cold release build on 2 cores. */
export const BUILD_TIMEOUT_MS = 300_000;

// One target dir shared by every test file, so each binary is compiled once per run.
export const CARGO_TARGET_DIR = join(EXAMPLE_DIR, "target");
export const cargoEnv: NodeJS.ProcessEnv = {
  ...process.env,
  CARGO_TARGET_DIR,
  CARGO_TERM_COLOR: "never",
};

/** This checkout's copy of a container script, for a script path as containers see it. */
export function hostScriptPath(word: string): string {
  return word.startsWith(`${SCRIPTS_DIR}/`)
    ? join(REPO_ROOT, SCRIPTS_SOURCE, word.slice(SCRIPTS_DIR.length + 1))
    : word;
}

/**
 * Runs an argv exactly as a stage would hand it to `withExec`; a container script is run from
 * this checkout's container-scripts/, where the stages take it from.
 */
export function runArgv(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv.map(hostScriptPath);
  if (cmd === undefined) throw new Error("empty argv");
  return run(cmd, args, opts);
}

/** The error message of a command expected to fail (it carries the command's stderr). */
export async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("the command succeeded, but it was expected to fail");
}

/**
 * Builds the sample CLI for this machine (host toolchain, host glibc) without the PyO3 feature
 * and copies it into `dir`: other test files' cargo runs briefly unlink and relink the binary in
 * the shared target dir, so tests read their own copy. Returns the copy's path.
 */
export async function buildHostBinary(dir: string): Promise<string> {
  await run("cargo", ["build", "--release", "--locked", "--bin", BIN], {
    cwd: EXAMPLE_DIR,
    env: cargoEnv,
  });
  const copy = join(dir, BIN);
  await copyFile(join(CARGO_TARGET_DIR, "release", BIN), copy);
  return copy;
}

function versionParts(version: string): number[] {
  return version.split(".").map(Number);
}

/** Orders dotted versions numerically: 2.17 before 2.2.5 would be wrong. */
export function compareVersions(a: string, b: string): number {
  const [left, right] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The GLIBC_x.y versions a binary needs, as binutils' readelf reads them, oldest first. */
export async function glibcVersionsByReadelf(binary: string): Promise<string[]> {
  const { stdout } = await run("readelf", ["--version-info", "--wide", binary]);
  const versions = new Set([...stdout.matchAll(/Name: GLIBC_(\d+(?:\.\d+)*)/g)].map((m) => m[1]));
  return [...versions].flatMap((v) => (v === undefined ? [] : [v])).sort(compareVersions);
}

/** The oldest macOS a Mach-O binary says it runs on, as LLVM's objdump reads it. */
export async function macosMinimumByObjdump(binary: string): Promise<string> {
  const { stdout } = await run("llvm-objdump", ["--macho", "--private-headers", binary]);
  const found =
    /cmd LC_BUILD_VERSION\n(?:.*\n)*?\s*minos (\S+)/.exec(stdout) ??
    /cmd LC_VERSION_MIN_MACOSX\n(?:.*\n)*?\s*version (\S+)/.exec(stdout);
  const version = found?.[1];
  if (version === undefined) throw new Error(`llvm-objdump shows no minimum macOS for ${binary}`);
  return version;
}

/** cargo-auditable's section: `.dep-v0` (ELF, PE), in segment `__DATA` on Mach-O. */
export function auditSectionName(target: Pick<Target, "os">): string {
  return target.os === "macos" ? "__DATA,.dep-v0" : ".dep-v0";
}

/** A package of the dependency list cargo-auditable links into a binary. */
export interface AuditPackage {
  name: string;
  version: string;
  source: string;
  kind?: "build" | "runtime";
  dependencies?: number[];
  root?: boolean;
}

/**
 * The dependency list a binary carries, as LLVM's objcopy dumps the section, inflated: read
 * independently of container-scripts/sbom.py's own parser.
 */
export async function auditDataByObjcopy(
  binary: string,
  target: Pick<Target, "os">,
): Promise<{ packages: AuditPackage[] }> {
  const out = `${binary}.dep-v0`;
  const section = auditSectionName(target);
  await run("llvm-objcopy", [`--dump-section=${section}=${out}`, binary, `${binary}.copy`]);
  return JSON.parse(inflateSync(await readFile(out)).toString("utf8"));
}
