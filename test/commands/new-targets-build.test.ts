import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkBinaryCommand } from "../../lib/commands/check-binary.js";
import { checkDistCommand } from "../../lib/commands/check-dist.js";
import { archiveName, wheelName } from "../../lib/plan/names.js";
import type { Target } from "../../lib/plan/target.js";
import { findTarget, TARGETS } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import { ModuleUnderTest } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { auditableMount } from "../support/auditable.js";
import {
  isArchiveStep,
  isBinaryCheck,
  isChecksumStep,
  isCompile,
  isMaturinBuild,
  isVendor,
  stepForTarget,
} from "../support/execs.js";
import type { FreshRoot } from "../support/fresh-root.js";
import { scratchDir } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";
import {
  BIN,
  compareVersions,
  EXAMPLE_DIR,
  failureOf,
  glibcVersionsByReadelf,
  runArgv,
} from "./sample-binaries.js";

/**
 * The new targets built for real: `dagger call --targets <the new zig rows> release-archives
 * --tag v0.1.5`, its steps replayed with real tools in fresh roots (vendoring, cargo zigbuild,
 * the binary check, the archives, SHA256SUMS), once each: the static x86_64 musl binary, and
 * one binary per new architecture (32-bit Arm hard-float, 32-bit x86, little-endian POWER,
 * big-endian s390x). Independent readers (`file`, binutils' readelf) confirm each machine type,
 * and each binary runs here: natively, or under Debian's qemu-user with Debian's cross glibc.
 * Also one new-row wheel: `wheels --target x86_64-unknown-linux-musl`, maturin's musllinux
 * wheel, with the binary's zig cache (zig's musl libc is built once). aarch64 musl (the same
 * check as x86_64's) and Windows on Arm (no MSVC CRT here) are not built.
 */

// Five cold zig builds and one wheel took about 3 CPU minutes; the rest is headroom.
const BUILD_TIMEOUT_MS = 1_200_000;
const TAG = "v0.1.5";
const BUILT = [
  "x86_64-unknown-linux-musl",
  "armv7-unknown-linux-gnueabihf",
  "i686-unknown-linux-gnu",
  "powerpc64le-unknown-linux-gnu",
  "s390x-unknown-linux-gnu",
].map(findTarget);
const MUSL = findTarget("x86_64-unknown-linux-musl");
// Like the engine's cache volumes, and shared with the other replays: zig's and cargo's caches.
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");

/** How each binary runs on this x86_64 machine: natively, or under qemu-user with a sysroot. */
const RUNNER: Record<string, string[]> = {
  "x86_64-unknown-linux-musl": [],
  "i686-unknown-linux-gnu": [],
  "armv7-unknown-linux-gnueabihf": ["qemu-arm", "-L", "/usr/arm-linux-gnueabihf"],
  "powerpc64le-unknown-linux-gnu": ["qemu-ppc64le", "-L", "/usr/powerpc64le-linux-gnu"],
  "s390x-unknown-linux-gnu": ["qemu-s390x", "-L", "/usr/s390x-linux-gnu"],
};

/** What `file` says, and what readelf's header says (class, byte order, machine, flags). */
const READERS_SAY: Record<string, [file: RegExp, header: RegExp[]]> = {
  "x86_64-unknown-linux-musl": [
    /^ELF 64-bit LSB executable, x86-64, .*statically linked/,
    [/Class:\s+ELF64/, /little endian/, /Machine:\s+Advanced Micro Devices X86-64/],
  ],
  "armv7-unknown-linux-gnueabihf": [
    /^ELF 32-bit LSB pie executable, ARM, EABI5 .*interpreter \/lib\/ld-linux-armhf\.so\.3/,
    [/Class:\s+ELF32/, /little endian/, /Machine:\s+ARM/, /Flags:.*Version5 EABI, hard-float ABI/],
  ],
  "i686-unknown-linux-gnu": [
    /^ELF 32-bit LSB pie executable, Intel 80386, .*interpreter \/lib\/ld-linux\.so\.2/,
    [/Class:\s+ELF32/, /little endian/, /Machine:\s+Intel 80386/],
  ],
  "powerpc64le-unknown-linux-gnu": [
    /^ELF 64-bit LSB pie executable, 64-bit PowerPC .*OpenPOWER ELF V2 ABI/,
    [/Class:\s+ELF64/, /little endian/, /Machine:\s+PowerPC64/, /Flags:\s+0x2, abiv2/],
  ],
  "s390x-unknown-linux-gnu": [
    /^ELF 64-bit MSB pie executable, IBM S\/390, .*interpreter \/lib\/ld64\.so\.1/,
    [/Class:\s+ELF64/, /big endian/, /Machine:\s+IBM S\/390/],
  ],
};

/** The pipeline check's verdict on each, as it prints it. */
const CHECK_SAYS: Record<string, RegExp> = {
  "x86_64-unknown-linux-musl":
    /^ok: x86_64-unknown-linux-musl: ELF 64-bit x86_64 executable, statically linked( static-pie)? \(no interpreter, no shared libraries\)\n$/,
  "armv7-unknown-linux-gnueabihf":
    /^ok: armv7-unknown-linux-gnueabihf: ELF 32-bit armv7 EABI5 hard-float executable, needs GLIBC_2\.\d+ \(floor 2\.17\)\n$/,
  "i686-unknown-linux-gnu":
    /^ok: i686-unknown-linux-gnu: ELF 32-bit x86 executable, needs GLIBC_2\.\d+ \(floor 2\.17\)\n$/,
  "powerpc64le-unknown-linux-gnu":
    /^ok: powerpc64le-unknown-linux-gnu: ELF 64-bit ppc64le ELFv2 executable, needs GLIBC_2\.\d+ \(floor 2\.34\)\n$/,
  "s390x-unknown-linux-gnu":
    /^ok: s390x-unknown-linux-gnu: ELF 64-bit big-endian s390x executable, needs GLIBC_2\.\d+ \(floor 2\.17\)\n$/,
};

const mod = new ModuleUnderTest();
const scratch = scratchDir("new-targets-build");
const roots: FreshRoot[] = [];
const binaries = new Map<string, string>();
const checks = new Map<string, string>();
const archives = new Map<string, Buffer>();
let checksums = "";
let muslWheel = "";

function dir(path: string, readOnly = false) {
  mkdirSync(path, { recursive: true });
  return { host: path, readOnly };
}

async function replay(...args: Parameters<typeof replayInFreshRoot>) {
  const result = await replayInFreshRoot(...args);
  if (!args[2]?.root) roots.push(result.root);
  return result;
}

/** The vendoring step of a call, replayed into a fresh root with the shared download cache. */
async function vendored(execs: ExecRecord[]) {
  const vendor = execs.find(isVendor) as ExecRecord;
  const { root } = await replay(mod.engine, vendor, {
    mounts: { "/cargo-home": dir(join(CACHES, "cargo-home")) },
  });
  return {
    files: { "/.cargo/config.toml": readFileSync(root.path("/vendored/config.toml")) },
    mount: dir(root.path("/vendored"), true),
  };
}

async function buildBinaries(): Promise<void> {
  const outcome = await mod.call(
    "releaseArchives",
    { tag: TAG },
    {
      module: { targets: BUILT.map((t) => t.triple) },
      answers: {
        exec: (e) => (e.argv[1] === "--version" ? { stdout: `${BIN} 0.1.5\n` } : undefined),
      },
    },
  );
  if (outcome.error || !outcome.returned) throw new Error(outcome.error);
  mod.engine.exportReturned(outcome.returned, join(scratch.path, "harness-export"));
  const execs = outcome.model.execs;
  const vendor = await vendored(execs);
  // One after another into one target directory: 2 cores, and each build uses both.
  const target = dir(join(scratch.path, "target"));
  for (const row of BUILT) {
    const compiled = await replay(mod.engine, stepForTarget(execs, row, isCompile), {
      files: vendor.files,
      mounts: {
        "/vendored": vendor.mount,
        "/cargo-target": target,
        "/zig-cache": dir(join(CACHES, "zig")),
        ...(await auditableMount(mod.engine, mod.engine.model.execs)),
      },
    });
    const path = `/in/${row.triple}/release/${BIN}`;
    const bytes = readFileSync(compiled.root.path(`/out/${BIN}`));
    const checked = await replay(mod.engine, stepForTarget(execs, row, isBinaryCheck), {
      files: { [path]: bytes },
      root: compiled.root,
    });
    checks.set(row.triple, checked.stdout);
    const copy = join(scratch.path, `${BIN}-${row.triple}`);
    writeFileSync(copy, bytes, { mode: 0o755 });
    binaries.set(row.triple, copy);
    const archived = await replay(mod.engine, stepForTarget(execs, row, isArchiveStep), {
      files: { [path]: bytes },
    });
    const name = archiveName(BIN, row);
    archives.set(name, readFileSync(archived.root.path(`/out/${name}`)));
  }
  const summed = await replay(mod.engine, execs.find(isChecksumStep) as ExecRecord, {
    files: Object.fromEntries([...archives].map(([name, bytes]) => [`/in/${name}`, bytes])),
  });
  checksums = readFileSync(summed.root.path("/out/SHA256SUMS"), "utf8");
}

async function buildMuslWheel(): Promise<void> {
  const expected = wheelName("sample_usage", "0.1.5", { python: "cp38", abi: "abi3" }, MUSL);
  const outcome = await mod.call(
    "wheels",
    { target: MUSL.triple, tag: TAG },
    { answers: { entries: ({ path }) => (path.startsWith("/wheels/") ? [expected] : undefined) } },
  );
  if (outcome.error) throw new Error(outcome.error);
  const execs = outcome.model.execs;
  const vendor = await vendored(execs);
  const built = await replay(mod.engine, execs.find(isMaturinBuild) as ExecRecord, {
    files: vendor.files,
    mounts: {
      "/vendored": vendor.mount,
      "/cargo-target": dir(join(scratch.path, "wheel-target")),
      "/zig-cache": dir(join(CACHES, "zig")),
      ...(await auditableMount(mod.engine, mod.engine.model.execs)),
      "/root/.cache/uv": dir(join(CACHES, "uv")),
    },
  });
  const out = built.root.path(`/wheels/${MUSL.triple}`);
  const [wheel, ...others] = readdirSync(out);
  if (wheel === undefined || others.length > 0) throw new Error(`wheels in ${out}: ${wheel}`);
  muslWheel = join(scratch.path, wheel);
  writeFileSync(muslWheel, readFileSync(join(out, wheel)));
}

beforeAll(async () => {
  await mod.start();
  await buildBinaries();
  await buildMuslWheel();
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const root of roots) root.remove();
  scratch.remove();
  await mod.stop();
});

function binaryOf(target: Target): string {
  const path = binaries.get(target.triple);
  if (!path) throw new Error(`${target.triple} was not built`);
  return path;
}

/** Runs a built binary here: natively, or under its qemu with Debian's cross glibc. */
function runBinary(target: Target, args: string[], input = "") {
  const [runner, ...runnerArgs] = RUNNER[target.triple] ?? [];
  return runner
    ? run(runner, [...runnerArgs, binaryOf(target), ...args], { input })
    : run(binaryOf(target), args, { input });
}

describe.each(BUILT.map((t) => [t.triple, t] as const))("the %s build, replayed", (triple, t) => {
  test("passed the pipeline's check, which names what it found", () => {
    expect(checks.get(triple)).toMatch(CHECK_SAYS[triple] ?? /no expectation/);
  });

  test("is the machine type `file` and readelf read", async () => {
    const [fileSays, headerSays] = READERS_SAY[triple] ?? [/no expectation/, []];
    expect((await run("file", ["-b", binaryOf(t)])).stdout).toMatch(fileSays);
    const { stdout } = await run("readelf", ["-h", binaryOf(t)]);
    for (const line of headerSays) expect(stdout).toMatch(line);
  });

  test("links as its row says: static, or glibc no newer than the floor", async () => {
    if (t.abi === "musl") {
      expect((await run("readelf", ["-l", binaryOf(t)])).stdout).not.toContain("INTERP");
      expect((await run("readelf", ["-d", binaryOf(t)])).stdout).not.toContain("(NEEDED)");
      return;
    }
    const newest = (await glibcVersionsByReadelf(binaryOf(t))).at(-1) ?? "0";
    expect(compareVersions(newest, t.glibcFloor ?? "")).toBeLessThanOrEqual(0);
  });

  test("runs here and prints the tag's version; sums its input", async () => {
    expect((await runBinary(t, ["--version"])).stdout).toBe(`${BIN} 0.1.5\n`);
    const { stdout } = await runBinary(t, ["sum"], "gpt-5 120 45\no3 10 5\n");
    expect(stdout).toMatch(/^total\s+130\s+50\s+180$/m);
  });

  test.each(TARGETS.filter((other) => other !== t).map((other) => [other.triple, other]))(
    "is refused for %s, naming that target",
    async (otherTriple, other) => {
      const message = await failureOf(runArgv(checkBinaryCommand(other, binaryOf(t))));
      expect(message).toMatch(new RegExp(`\\n${otherTriple}: (expected |ELF )`));
      expect(message).not.toContain("Traceback");
    },
  );
});

describe("the check on doctored copies of the real builds", () => {
  async function doctored(target: Target, name: string, change: (bytes: Buffer) => Buffer) {
    const path = join(scratch.path, name);
    writeFileSync(path, change(Buffer.from(readFileSync(binaryOf(target)))));
    return failureOf(runArgv(checkBinaryCommand(target, path)));
  }

  test("an Arm binary whose header records soft-float is refused", async () => {
    const arm = findTarget("armv7-unknown-linux-gnueabihf");
    const message = await doctored(arm, "softfloat", (bytes) => {
      // e_flags of an ELF32 header: EABI version 5, float ABI soft instead of hard.
      bytes.writeUInt32LE(0x05000200, 36);
      return bytes;
    });
    expect(message).toContain(
      "armv7-unknown-linux-gnueabihf: expected ELF 32-bit armv7 EABI5 hard-float executable, " +
        "found ELF 32-bit armv7 EABI5 soft-float executable\n",
    );
  });

  test("a POWER binary of the old ELFv1 ABI is refused", async () => {
    const power = findTarget("powerpc64le-unknown-linux-gnu");
    const message = await doctored(power, "elfv1", (bytes) => {
      bytes.writeUInt32LE(1, 48); // e_flags of an ELF64 header
      return bytes;
    });
    expect(message).toContain(
      "powerpc64le-unknown-linux-gnu: expected ELF 64-bit ppc64le ELFv2 executable, " +
        "found ELF 64-bit ppc64le ELFv1 executable\n",
    );
  });

  test("a big-endian binary cut short is refused as truncated", async () => {
    const s390x = findTarget("s390x-unknown-linux-gnu");
    const message = await doctored(s390x, "cut", (bytes) => bytes.subarray(0, bytes.length >> 1));
    expect(message).toMatch(/s390x-unknown-linux-gnu: expected .*, found a truncated ELF file/);
  });
});

describe("their archives and SHA256SUMS, replayed", () => {
  test("sha256sum -c accepts SHA256SUMS next to the five archives", async () => {
    const downloads = dir(join(scratch.path, "downloads")).host;
    for (const [name, bytes] of archives) writeFileSync(join(downloads, name), bytes);
    writeFileSync(join(downloads, "SHA256SUMS"), checksums);
    // SHA256SUMS also covers each archive's SBOM; their real bytes are checked in cross-build.
    const { stdout } = await run("sha256sum", ["-c", "--ignore-missing", "SHA256SUMS"], {
      cwd: downloads,
    });
    expect(stdout.trim().split("\n").sort()).toEqual(
      BUILT.map((t) => `${archiveName(BIN, t)}: OK`).sort(),
    );
  });

  test("the musl archive's binary, unpacked, is the checked one", async () => {
    const name = archiveName(BIN, MUSL);
    const unpacked = dir(join(scratch.path, "unpacked")).host;
    writeFileSync(join(unpacked, name), archives.get(name) as Buffer);
    const listing = await run("tar", ["-tvzf", name], { cwd: unpacked });
    expect(listing.stdout).toMatch(new RegExp(`^-rwxr-xr-x 0/0 .* ${BIN}$`, "m"));
    await run("tar", ["-xzf", name], { cwd: unpacked });
    expect(readFileSync(join(unpacked, BIN)).equals(readFileSync(binaryOf(MUSL)))).toBe(true);
    expect((await run(join(unpacked, BIN), ["--version"])).stdout).toBe(`${BIN} 0.1.5\n`);
  });
});

describe("maturin's x86_64 musllinux wheel, replayed", () => {
  test("is named and tagged as the plan predicts, and the dist check passes it", async () => {
    const expected = wheelName("sample_usage", "0.1.5", { python: "cp38", abi: "abi3" }, MUSL);
    expect(muslWheel.endsWith(`/${expected}`)).toBe(true);
    const { stdout: wheelFile } = await run("unzip", [
      "-p",
      muslWheel,
      "sample_usage-0.1.5.dist-info/WHEEL",
    ]);
    expect(wheelFile).toMatch(/^Tag: cp38-abi3-musllinux_1_2_x86_64$/m);
    const verdict = await runArgv(
      checkDistCommand({
        version: "0.1.5",
        project: "sample-usage",
        wheels: [
          {
            path: muslWheel,
            platformTag: MUSL.wheelPlatformTag,
            pythonTag: "cp38",
            abiTag: "abi3",
            executables: [],
          },
        ],
        sdist: null,
      }),
    );
    expect(verdict.stdout).toContain(expected);
  });

  test("its extension links musl's libc dynamically, as a musl Python loads it, and no glibc", async () => {
    const module = join(scratch.path, "musl-module.so");
    const { stdout: names } = await run("unzip", ["-Z1", muslWheel]);
    const inner = names.split("\n").find((n) => n.endsWith(".abi3.so")) as string;
    const bytes = execFileSync("unzip", ["-p", muslWheel, inner], { maxBuffer: 1 << 28 });
    writeFileSync(module, bytes);
    const dynamic = (await run("readelf", ["-d", module])).stdout;
    expect(dynamic).toMatch(/\(NEEDED\)\s+Shared library: \[libc\.so\]/);
    expect(await glibcVersionsByReadelf(module)).toEqual([]);
  });
});
