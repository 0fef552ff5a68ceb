import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkBinaryCommand } from "../../lib/commands/check-binary.js";
import type { Target } from "../../lib/plan/target.js";
import { findTarget } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import {
  BUILD_TIMEOUT_MS,
  buildHostBinary,
  CARGO_TARGET_DIR,
  cargoEnv,
  compareVersions,
  EXAMPLE_DIR,
  failureOf,
  glibcVersionsByReadelf,
  runArgv,
} from "./sample-binaries.js";

const LINUX_X64 = findTarget("x86_64-unknown-linux-gnu");
const WINDOWS = findTarget("x86_64-pc-windows-msvc");

async function verdict(target: Target, path: string): Promise<string> {
  return (await runArgv(checkBinaryCommand(target, path))).stdout;
}

/** The check's failure, after making sure it failed cleanly: exit code 1 and no traceback. */
async function rejection(target: Target, path: string): Promise<string> {
  const message = await failureOf(runArgv(checkBinaryCommand(target, path)));
  expect(message).toContain("(exit code 1)");
  expect(message).not.toContain("Traceback");
  return message;
}

describe("checkBinaryCommand on this machine's own build of the sample CLI", () => {
  let tmp = "";
  let hostBinary = "";
  // What binutils says the host build needs; the check must agree with it.
  let needed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "check-binary-"));
    hostBinary = await buildHostBinary(tmp);
    needed = await glibcVersionsByReadelf(hostBinary);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  test("the glibc floor verdict agrees with readelf: too new for 2.17 is refused", async () => {
    const tooNew = needed.filter((v) => compareVersions(v, "2.17") > 0).map((v) => `GLIBC_${v}`);
    if (tooNew.length === 0) {
      expect(await verdict(LINUX_X64, hostBinary)).toBe(
        "ok: x86_64-unknown-linux-gnu: ELF 64-bit x86_64 executable, " +
          `needs GLIBC_${needed.at(-1)} (floor 2.17)\n`,
      );
      return;
    }
    expect(await rejection(LINUX_X64, hostBinary)).toContain(
      `x86_64-unknown-linux-gnu: ELF 64-bit x86_64 executable needs ${tooNew.at(-1)}, ` +
        `newer than the 2.17 floor (too new: ${tooNew.join(", ")})\n`,
    );
  });

  test("with the floor at the newest version it needs, the same binary passes", async () => {
    const newest = needed.at(-1) ?? "";
    expect(newest).not.toBe("");
    expect(await verdict({ ...LINUX_X64, glibcFloor: newest }, hostBinary)).toBe(
      "ok: x86_64-unknown-linux-gnu: ELF 64-bit x86_64 executable, " +
        `needs GLIBC_${newest} (floor ${newest})\n`,
    );
  });

  test.each([
    ["aarch64-unknown-linux-gnu", "expected ELF 64-bit aarch64 executable"],
    ["x86_64-apple-darwin", "expected Mach-O 64-bit x86_64 executable"],
    ["aarch64-apple-darwin", "expected Mach-O 64-bit aarch64 executable"],
    ["x86_64-pc-windows-msvc", "expected PE32+ x86_64 console executable"],
  ])("is refused for %s, naming the target and what was found", async (triple, expected) => {
    expect(await rejection(findTarget(triple), hostBinary)).toContain(
      `${triple}: ${expected}, found ELF 64-bit x86_64 executable\n`,
    );
  });

  test("a glibc binary is refused where a static musl one belongs, naming how it links", async () => {
    const message = await rejection(findTarget("x86_64-unknown-linux-musl"), hostBinary);
    expect(message).toContain(
      "x86_64-unknown-linux-musl: expected ELF 64-bit x86_64 executable statically linked " +
        "(no interpreter, no shared libraries), found it dynamically linked (interpreter " +
        "/lib64/ld-linux-x86-64.so.2; needs ",
    );
    expect(message).toMatch(/; needs [^)]*\blibc\.so\.6\b/);
  });

  test.each([
    ["i686-unknown-linux-gnu", "expected ELF 32-bit x86 executable"],
    ["armv7-unknown-linux-gnueabihf", "expected ELF 32-bit armv7 EABI5 hard-float executable"],
    ["powerpc64le-unknown-linux-gnu", "expected ELF 64-bit ppc64le ELFv2 executable"],
    ["s390x-unknown-linux-gnu", "expected ELF 64-bit big-endian s390x executable"],
    ["aarch64-pc-windows-msvc", "expected PE32+ aarch64 console executable"],
  ])("is refused for the new row %s, naming what it expects", async (triple, expected) => {
    expect(await rejection(findTarget(triple), hostBinary)).toContain(
      `${triple}: ${expected}, found ELF 64-bit x86_64 executable\n`,
    );
  });

  test("a shared library is not taken for a PIE executable", async () => {
    // The crate's cdylib, which cargo builds with the binary; read from a private copy.
    await run("cargo", ["build", "--release", "--locked", "--lib"], {
      cwd: EXAMPLE_DIR,
      env: cargoEnv,
    });
    const library = join(tmp, "libsample_usage_core.so");
    await copyFile(join(CARGO_TARGET_DIR, "release", "libsample_usage_core.so"), library);
    expect(await rejection({ ...LINUX_X64, glibcFloor: null }, library)).toContain(
      "x86_64-unknown-linux-gnu: expected ELF 64-bit x86_64 executable, " +
        "found ELF 64-bit x86_64 shared library\n",
    );
  });

  test("a text file is refused as such", async () => {
    expect(await rejection(LINUX_X64, join(EXAMPLE_DIR, "README.md"))).toContain(
      "x86_64-unknown-linux-gnu: expected ELF 64-bit x86_64 executable, " +
        "found a text file, not an executable\n",
    );
  });

  test("a copy cut short anywhere is refused as truncated", async () => {
    const bytes = await readFile(hostBinary);
    const cut = join(tmp, "cut");
    for (const size of [2, 20, 64, 1_000, bytes.length >> 1, bytes.length - 1]) {
      await writeFile(cut, bytes.subarray(0, size));
      const message = await rejection(LINUX_X64, cut);
      expect(message).toMatch(new RegExp(`found a truncated (ELF )?file \\(${size} bytes\\)\\n`));
    }
  });

  test("an empty or missing file is refused with what happened", async () => {
    const empty = join(tmp, "empty");
    await writeFile(empty, "");
    expect(await rejection(LINUX_X64, empty)).toContain("found an empty file\n");
    expect(await rejection(LINUX_X64, join(tmp, "absent"))).toContain(
      `x86_64-unknown-linux-gnu: cannot read ${join(tmp, "absent")}: No such file or directory\n`,
    );
  });
});

interface PeFields {
  machine?: number;
  optionalMagic?: number;
  subsystem?: number;
  characteristics?: number;
}

// IMAGE_FILE_EXECUTABLE_IMAGE | IMAGE_FILE_LARGE_ADDRESS_AWARE, as link.exe sets for an .exe.
const EXE_CHARACTERISTICS = 0x0022;
const DLL = 0x2000;

/**
 * A synthetic PE image (no Windows build is possible here): DOS stub pointing at the PE header,
 * a COFF header, a PE32+ optional header and one section whose raw data ends the file. It holds
 * only the fields the check reads, laid out as the PE/COFF specification places them.
 */
function syntheticPe(fields: PeFields = {}): Buffer {
  const pe = Buffer.alloc(0x400);
  const header = 0x40;
  const optionalSize = 0xf0;
  pe.write("MZ", 0, "latin1");
  pe.writeUInt32LE(header, 0x3c);
  pe.write("PE\0\0", header, "latin1");
  pe.writeUInt16LE(fields.machine ?? 0x8664, header + 4);
  pe.writeUInt16LE(1, header + 6); // NumberOfSections
  pe.writeUInt16LE(optionalSize, header + 20);
  pe.writeUInt16LE(fields.characteristics ?? EXE_CHARACTERISTICS, header + 22);
  const optional = header + 24;
  pe.writeUInt16LE(fields.optionalMagic ?? 0x20b, optional);
  pe.writeUInt16LE(fields.subsystem ?? 3, optional + 68);
  const section = optional + optionalSize;
  pe.write(".text", section, "latin1");
  pe.writeUInt32LE(0x200, section + 16); // SizeOfRawData
  pe.writeUInt32LE(0x200, section + 20); // PointerToRawData
  return pe;
}

describe("checkBinaryCommand on a synthetic PE32+ image", () => {
  let tmp = "";

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "check-pe-"));
  });

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  async function saved(name: string, bytes: Buffer): Promise<string> {
    const path = join(tmp, name);
    await writeFile(path, bytes);
    return path;
  }

  test("a console x86-64 PE32+ passes for Windows, as `file` also reads it", async () => {
    const exe = await saved("console.exe", syntheticPe());
    // An independent reader confirms the synthetic image is what it claims to be.
    expect((await run("file", ["-b", exe])).stdout).toMatch(
      /^PE32\+ executable.*\(console\).*x86-64/,
    );
    expect(await verdict(WINDOWS, exe)).toBe(
      "ok: x86_64-pc-windows-msvc: PE32+ x86_64 console executable\n",
    );
    expect(await rejection(LINUX_X64, exe)).toContain(
      "x86_64-unknown-linux-gnu: expected ELF 64-bit x86_64 executable, " +
        "found PE32+ x86_64 console executable\n",
    );
  });

  test("an arm64 console PE32+ passes for Windows on Arm, as `file` also reads it", async () => {
    const exe = await saved("arm64.exe", syntheticPe({ machine: 0xaa64 }));
    expect((await run("file", ["-b", exe])).stdout).toMatch(
      /^PE32\+ executable.*\(console\).*Aarch64/,
    );
    expect(await verdict(findTarget("aarch64-pc-windows-msvc"), exe)).toBe(
      "ok: aarch64-pc-windows-msvc: PE32+ aarch64 console executable\n",
    );
    // ARM64EC (x64-compatible code on Arm) is another machine type, named as such.
    const ec = await saved("arm64ec.exe", syntheticPe({ machine: 0xa641 }));
    expect(await rejection(findTarget("aarch64-pc-windows-msvc"), ec)).toContain(
      "aarch64-pc-windows-msvc: expected PE32+ aarch64 console executable, " +
        "found PE32+ arm64ec console executable\n",
    );
  });

  test.each([
    ["an arm64 image", { machine: 0xaa64 }, "PE32+ aarch64 console executable"],
    ["a GUI subsystem", { subsystem: 2 }, "PE32+ x86_64 GUI executable"],
    ["a DLL", { characteristics: EXE_CHARACTERISTICS | DLL }, "PE32+ x86_64 DLL"],
    [
      "a 32-bit PE32 x86 image",
      { optionalMagic: 0x10b, machine: 0x14c },
      "PE32 x86 console executable",
    ],
  ])("%s is refused for Windows", async (name, fields, found) => {
    const exe = await saved(`${name}.exe`, syntheticPe(fields));
    expect(await rejection(WINDOWS, exe)).toContain(
      `x86_64-pc-windows-msvc: expected PE32+ x86_64 console executable, found ${found}\n`,
    );
  });

  test("a PE whose last section is cut off is refused as truncated", async () => {
    const exe = await saved("cut.exe", syntheticPe().subarray(0, 0x300));
    expect(await rejection(WINDOWS, exe)).toContain("found a truncated PE file (768 bytes)\n");
  });
});
