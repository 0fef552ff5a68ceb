import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cargoBuildCommand, rustupTargetCommand } from "../../src/commands/cargo-build.js";
import { checkBinaryCommand } from "../../src/commands/check-binary.js";
import { binaryOutputPath } from "../../src/plan/names.js";
import { findTarget, TARGETS, type Target } from "../../src/plan/targets.js";
import { run } from "../example/tools.js";
import {
  BIN,
  CARGO_TARGET_DIR,
  cargoEnv,
  compareVersions,
  EXAMPLE_DIR,
  failureOf,
  glibcVersionsByReadelf,
  macosMinimumByObjdump,
  runArgv,
} from "./sample-binaries.js";

// Four cold zig builds (empty zig cache) took 66 s on 2 cores; the rest is headroom.
const CROSS_BUILD_TIMEOUT_MS = 480_000;

const ZIG_TARGETS = TARGETS.filter((target) => target.toolchain === "zig");

// How `file` (an independent reader) describes each build.
const FILE_SAYS: Record<string, RegExp> = {
  "x86_64-unknown-linux-gnu": /^ELF 64-bit LSB (pie )?executable, x86-64,/,
  "aarch64-unknown-linux-gnu": /^ELF 64-bit LSB (pie )?executable, ARM aarch64,/,
  "x86_64-apple-darwin": /^Mach-O 64-bit x86_64 executable/,
  "aarch64-apple-darwin": /^Mach-O 64-bit arm64 executable/,
};

/** The newest system the binary needs, as binutils (glibc) or LLVM (macOS) reads it. */
async function systemFloor(
  target: Target,
  binary: string,
): Promise<{ needs: string; version: string; floor: string }> {
  if (target.glibcFloor !== null) {
    const version = (await glibcVersionsByReadelf(binary)).at(-1) ?? "none";
    return { needs: `GLIBC_${version}`, version, floor: target.glibcFloor };
  }
  if (target.macosDeploymentTarget !== null) {
    const version = await macosMinimumByObjdump(binary);
    return { needs: `macOS ${version}`, version, floor: target.macosDeploymentTarget };
  }
  throw new Error(`${target.triple} has no system floor`);
}

function expectedBinary(target: Target): string {
  if (target.os === "windows") return `PE32+ ${target.arch} console executable`;
  return `${target.os === "linux" ? "ELF" : "Mach-O"} 64-bit ${target.arch} executable`;
}

describe("cargoBuildCommand run for every zig target, checked by checkBinaryCommand", () => {
  let tmp = "";
  // Each target's build, copied out of the shared target dir.
  const built = new Map<string, string>();

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "cross-build-"));
    // One after another: cargo locks the shared target dir anyway, and there are 2 cores.
    for (const target of ZIG_TARGETS) {
      await runArgv(rustupTargetCommand(target), { env: cargoEnv });
      // As the stage's toolchain container sets it; without it zig 0.17 records macOS 15.0.
      const env = target.macosDeploymentTarget
        ? { ...cargoEnv, MACOSX_DEPLOYMENT_TARGET: target.macosDeploymentTarget }
        : cargoEnv;
      await runArgv(cargoBuildCommand(target, [BIN]), { cwd: EXAMPLE_DIR, env });
      const copy = join(tmp, target.triple, BIN);
      await mkdir(join(tmp, target.triple));
      await copyFile(join(CARGO_TARGET_DIR, binaryOutputPath(BIN, target)), copy);
      built.set(target.triple, copy);
    }
  }, CROSS_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  function binaryOf(target: Target): string {
    const path = built.get(target.triple);
    if (path === undefined) throw new Error(`${target.triple} was not built`);
    return path;
  }

  describe.each(ZIG_TARGETS.map((target) => [target.triple, target] as const))(
    "the %s build",
    (triple, target) => {
      test("is what `file` says it should be", async () => {
        const { stdout } = await run("file", ["-b", binaryOf(target)]);
        expect(stdout).toMatch(FILE_SAYS[triple] ?? /no expectation/);
      });

      test("passes the check for its own target, within the floor binutils/LLVM read", async () => {
        const { stdout } = await runArgv(checkBinaryCommand(target, binaryOf(target)));
        const { needs, version, floor } = await systemFloor(target, binaryOf(target));
        // The `.2.17` build target and MACOSX_DEPLOYMENT_TARGET really kept the binary there.
        expect(compareVersions(version, floor)).toBeLessThanOrEqual(0);
        expect(stdout).toBe(
          `ok: ${triple}: ${expectedBinary(target)}, needs ${needs} (floor ${floor})\n`,
        );
      });

      test.each(TARGETS.filter((other) => other !== target).map((other) => [other.triple, other]))(
        "is refused for %s, naming that target and what was found",
        async (otherTriple, other) => {
          const message = await failureOf(runArgv(checkBinaryCommand(other, binaryOf(target))));
          expect(message).toContain(
            `${otherTriple}: expected ${expectedBinary(other)}, found ${expectedBinary(target)}\n`,
          );
        },
      );
    },
  );

  test.each([
    ["x86_64-apple-darwin", "10.11"],
    ["aarch64-apple-darwin", "10.15"],
  ])("the %s build is refused for a floor below the macOS it records", async (triple, floor) => {
    const target = findTarget(triple);
    const { needs } = await systemFloor(target, binaryOf(target));
    const message = await failureOf(
      runArgv(checkBinaryCommand({ ...target, macosDeploymentTarget: floor }, binaryOf(target))),
    );
    expect(message).toContain(
      `${triple}: ${expectedBinary(target)} needs ${needs}, newer than the ${floor} floor ` +
        `(was MACOSX_DEPLOYMENT_TARGET=${floor} set for the build?)\n`,
    );
  });

  test("the x86_64 Linux build runs here, so zig linked a working binary", async () => {
    const { stdout } = await run(binaryOf(findTarget("x86_64-unknown-linux-gnu")), ["--version"]);
    expect(stdout).toMatch(/^sample-usage \d+\.\d+\.\d+/);
  });

  test("a universal Mach-O of both builds is refused: targets ship thin binaries", async () => {
    const thin = await Promise.all(
      ["x86_64-apple-darwin", "aarch64-apple-darwin"].map((t) => readFile(binaryOf(findTarget(t)))),
    );
    const universal = join(tmp, "universal");
    await writeFile(universal, fatMachO(thin));
    expect((await run("file", ["-b", universal])).stdout).toMatch(
      /^Mach-O universal binary with 2 architectures/,
    );
    for (const triple of ["x86_64-apple-darwin", "aarch64-apple-darwin"]) {
      const message = await failureOf(runArgv(checkBinaryCommand(findTarget(triple), universal)));
      expect(message).toContain(
        `${triple}: expected ${expectedBinary(findTarget(triple))}, ` +
          "found a universal Mach-O (x86_64, aarch64) where a thin binary belongs\n",
      );
    }
  });
});

// What `lipo -create` writes: a big-endian fat header, one fat_arch per slice, 16 KiB aligned.
function fatMachO(slices: Buffer[]): Buffer {
  const alignmentLog2 = 14;
  const alignment = 1 << alignmentLog2;
  const header = Buffer.alloc(8 + 20 * slices.length);
  header.writeUInt32BE(0xcafebabe, 0);
  header.writeUInt32BE(slices.length, 4);
  const image: Buffer[] = [header];
  let end = header.length;
  slices.forEach((slice, i) => {
    const offset = Math.ceil(end / alignment) * alignment;
    image.push(Buffer.alloc(offset - end), slice);
    end = offset + slice.length;
    const entry = 8 + 20 * i;
    header.writeInt32BE(slice.readInt32LE(4), entry); // cputype
    header.writeInt32BE(slice.readInt32LE(8), entry + 4); // cpusubtype
    header.writeUInt32BE(offset, entry + 8);
    header.writeUInt32BE(slice.length, entry + 12);
    header.writeUInt32BE(alignmentLog2, entry + 16);
  });
  return Buffer.concat(image);
}
