import { describe, expect, test } from "vitest";
import { checkBinaryCommand } from "../../lib/commands/check-binary.js";
import { maturinBuildCommand } from "../../lib/commands/maturin.js";
import { archiveName, wheelName } from "../../lib/plan/names.js";
import type { Target } from "../../lib/plan/target.js";
import {
  DEFAULT_TARGET_TRIPLES,
  findTarget,
  imageVariants,
  TARGET_TRIPLES,
  TARGETS,
} from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";

/**
 * Every row, as a user meets it: the archive and wheel names, the image platform and base, the
 * glibc floor zigbuild is given and the wheel policy maturin is given. Written out, not derived
 * from the row, so a changed row has to change here too.
 */
const ROWS: [
  triple: string,
  archive: string,
  wheelTag: string,
  platform: string | null,
  imageBase: string | null,
  buildTarget: string,
  compatibility: string | null,
][] = [
  [
    "x86_64-unknown-linux-gnu",
    "cli-x86_64-unknown-linux-gnu.tar.gz",
    "manylinux2014_x86_64.manylinux_2_17_x86_64",
    "linux/amd64",
    "cc",
    "x86_64-unknown-linux-gnu.2.17",
    "manylinux2014",
  ],
  [
    "aarch64-unknown-linux-gnu",
    "cli-aarch64-unknown-linux-gnu.tar.gz",
    "manylinux2014_aarch64.manylinux_2_17_aarch64",
    "linux/arm64",
    "cc",
    "aarch64-unknown-linux-gnu.2.17",
    "manylinux2014",
  ],
  [
    "x86_64-apple-darwin",
    "cli-x86_64-apple-darwin.tar.gz",
    "macosx_10_12_x86_64",
    null,
    null,
    "x86_64-apple-darwin",
    null,
  ],
  [
    "aarch64-apple-darwin",
    "cli-aarch64-apple-darwin.tar.gz",
    "macosx_11_0_arm64",
    null,
    null,
    "aarch64-apple-darwin",
    null,
  ],
  [
    "x86_64-pc-windows-msvc",
    "cli-x86_64-pc-windows-msvc.zip",
    "win_amd64",
    null,
    null,
    "x86_64-pc-windows-msvc",
    null,
  ],
  [
    "x86_64-unknown-linux-musl",
    "cli-x86_64-unknown-linux-musl.tar.gz",
    "musllinux_1_2_x86_64",
    "linux/amd64",
    "static",
    "x86_64-unknown-linux-musl",
    "musllinux_1_2",
  ],
  [
    "aarch64-unknown-linux-musl",
    "cli-aarch64-unknown-linux-musl.tar.gz",
    "musllinux_1_2_aarch64",
    "linux/arm64",
    "static",
    "aarch64-unknown-linux-musl",
    "musllinux_1_2",
  ],
  [
    "aarch64-pc-windows-msvc",
    "cli-aarch64-pc-windows-msvc.zip",
    "win_arm64",
    null,
    null,
    "aarch64-pc-windows-msvc",
    null,
  ],
  [
    "armv7-unknown-linux-gnueabihf",
    "cli-armv7-unknown-linux-gnueabihf.tar.gz",
    "manylinux2014_armv7l.manylinux_2_17_armv7l",
    "linux/arm/v7",
    "cc",
    "armv7-unknown-linux-gnueabihf.2.17",
    "manylinux2014",
  ],
  [
    "i686-unknown-linux-gnu",
    "cli-i686-unknown-linux-gnu.tar.gz",
    "manylinux2014_i686.manylinux_2_17_i686",
    "linux/386",
    null,
    "i686-unknown-linux-gnu.2.17",
    "manylinux2014",
  ],
  [
    "powerpc64le-unknown-linux-gnu",
    "cli-powerpc64le-unknown-linux-gnu.tar.gz",
    "manylinux_2_34_ppc64le",
    "linux/ppc64le",
    "cc",
    "powerpc64le-unknown-linux-gnu.2.34",
    "manylinux_2_34",
  ],
  [
    "s390x-unknown-linux-gnu",
    "cli-s390x-unknown-linux-gnu.tar.gz",
    "manylinux2014_s390x.manylinux_2_17_s390x",
    "linux/s390x",
    "cc",
    "s390x-unknown-linux-gnu.2.17",
    "manylinux2014",
  ],
];

describe("the targets table", () => {
  test("holds the twelve targets, each once, the default five first", () => {
    expect(TARGET_TRIPLES).toEqual(ROWS.map(([triple]) => triple));
    expect(new Set(TARGET_TRIPLES).size).toBe(TARGETS.length);
    expect(DEFAULT_TARGET_TRIPLES).toEqual(TARGET_TRIPLES.slice(0, 5));
  });

  test.each(ROWS)(
    "%s: archive, wheel, image platform and base, zigbuild target, maturin policy",
    (triple, archive, wheelTag, platform, imageBase, buildTarget, compatibility) => {
      const t = findTarget(triple);
      expect(archiveName("cli", t)).toBe(archive);
      expect(wheelName("cli", "1.0.0rc1", { python: "cp38", abi: "abi3" }, t)).toBe(
        `cli-1.0.0rc1-cp38-abi3-${wheelTag}.whl`,
      );
      expect(wheelName("cli", "1.0.0", { python: "py3", abi: "none" }, t)).toBe(
        `cli-1.0.0-py3-none-${wheelTag}.whl`,
      );
      expect([t.platform, t.imageBase, t.buildTarget]).toEqual([platform, imageBase, buildTarget]);
      const argv = maturinBuildCommand(t, "/w");
      const policy = argv.indexOf("--compatibility");
      expect(policy === -1 ? null : argv[policy + 1]).toBe(compatibility);
      expect(argv.includes("--zig")).toBe(t.toolchain === "zig");
      // Every row builds both kinds of wheel this pipeline ships.
      expect([...t.wheelBindings].sort()).toEqual(["bin", "pyo3"]);
    },
  );
});

/** What rustc itself says of a target: its `--print cfg` values. */
async function rustcCfg(triple: string): Promise<Record<string, string>> {
  const { stdout } = await run("rustc", ["--print", "cfg", "--target", triple]);
  return Object.fromEntries(
    [...stdout.matchAll(/^(target_\w+)="([^"]*)"$/gm)].map((m) => [m[1], m[2]]),
  );
}

const RUST_ARCH: Record<Target["arch"], string> = {
  x86_64: "x86_64",
  aarch64: "aarch64",
  x86: "x86",
  armv7: "arm",
  ppc64le: "powerpc64",
  s390x: "s390x",
};

describe.each(TARGETS.map((t) => [t.triple, t] as const))("the %s row", (triple, t) => {
  test("agrees with rustc on OS, architecture, word size, byte order, libc and float ABI", async () => {
    const cfg = await rustcCfg(triple);
    expect(cfg.target_os).toBe(t.os === "macos" ? "macos" : t.os);
    expect(cfg.target_arch).toBe(RUST_ARCH[t.arch]);
    expect(cfg.target_pointer_width).toBe(String(t.bits));
    expect(cfg.target_endian).toBe(t.endianness);
    expect(cfg.target_env).toBe(t.abi ?? "");
    expect(cfg.target_abi === "eabihf").toBe(t.floatAbi === "hard");
  });

  test("names its files after the triple, with Windows' .zip and .exe", () => {
    expect(t.archiveFormat).toBe(t.os === "windows" ? "zip" : "tar.gz");
    expect(t.exeSuffix).toBe(t.os === "windows" ? ".exe" : "");
    expect(t.toolchain).toBe(t.os === "windows" ? "xwin" : "zig");
  });

  test("gives zigbuild the glibc floor it checks, and maturin the same floor", () => {
    if (t.abi === "gnu") {
      expect(t.buildTarget).toBe(`${triple}.${t.glibcFloor}`);
      const manylinux = `manylinux_${t.glibcFloor?.replace(".", "_")}`;
      // manylinux2014 is the older name of manylinux_2_17 (PEP 599, PEP 600).
      const policy = t.maturinCompatibility?.replace("manylinux2014", "manylinux_2_17");
      expect(policy).toBe(manylinux);
      expect(t.wheelPlatformTag).toContain(`${manylinux}_`);
    } else {
      expect(t.buildTarget).toBe(triple);
      expect(t.glibcFloor).toBeNull();
    }
    if (t.abi === "musl") {
      expect(t.maturinCompatibility).toBe("musllinux_1_2");
      expect(t.wheelPlatformTag).toMatch(/^musllinux_1_2_/);
    }
    if (t.os !== "linux") expect(t.maturinCompatibility).toBeNull();
  });

  test("has a macOS floor exactly when its wheel tag names one, and the same one", () => {
    const tag = /^macosx_(\d+)_(\d+)_/.exec(t.wheelPlatformTag);
    expect(t.macosDeploymentTarget).toBe(tag ? `${tag[1]}.${tag[2]}` : null);
  });

  test("runs in a container only on Linux, and its image base fits how it links", () => {
    expect(t.platform !== null).toBe(t.os === "linux");
    if (t.imageBase !== null) expect(t.imageBase).toBe(t.abi === "musl" ? "static" : "cc");
    expect(t.imageBase === null).toBe(t.os !== "linux" || t.platform === "linux/386");
  });

  test("hands the binary check everything the row says of the binary", () => {
    const spec = JSON.parse(checkBinaryCommand(t, "/in/x").at(-1) as string);
    expect(spec).toEqual({
      target: triple,
      os: t.os,
      arch: t.arch,
      abi: t.abi,
      bits: t.bits,
      endianness: t.endianness,
      floatAbi: t.floatAbi,
      glibcFloor: t.glibcFloor,
      macosFloor: t.macosDeploymentTarget,
      path: "/in/x",
    });
  });
});

describe("the image's platforms", () => {
  const of = (...triples: string[]) => imageVariants(triples.map(findTarget));

  test("the default five: amd64 and arm64 from the gnu binaries, on distroless cc", () => {
    expect(imageVariants(DEFAULT_TARGET_TRIPLES.map(findTarget))).toEqual([
      { platform: "linux/amd64", target: "x86_64-unknown-linux-gnu", base: "cc" },
      { platform: "linux/arm64", target: "aarch64-unknown-linux-gnu", base: "cc" },
    ]);
  });

  test("with gnu and musl of an architecture, the static musl binary on distroless static", () => {
    expect(
      of(
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
        "s390x-unknown-linux-gnu",
      ),
    ).toEqual([
      { platform: "linux/amd64", target: "x86_64-unknown-linux-musl", base: "static" },
      { platform: "linux/arm64", target: "aarch64-unknown-linux-gnu", base: "cc" },
      { platform: "linux/s390x", target: "s390x-unknown-linux-gnu", base: "cc" },
    ]);
  });

  test("every target: five platforms; i686 gives none (no linux/386 base)", () => {
    expect(imageVariants(TARGETS).map((v) => [v.platform, v.target])).toEqual([
      ["linux/amd64", "x86_64-unknown-linux-musl"],
      ["linux/arm64", "aarch64-unknown-linux-musl"],
      ["linux/arm/v7", "armv7-unknown-linux-gnueabihf"],
      ["linux/ppc64le", "powerpc64le-unknown-linux-gnu"],
      ["linux/s390x", "s390x-unknown-linux-gnu"],
    ]);
    expect(of("i686-unknown-linux-gnu", "x86_64-apple-darwin")).toEqual([]);
  });
});

test("an unknown target is refused with the list of known ones", () => {
  expect(() => findTarget("riscv64gc-unknown-linux-gnu")).toThrow(
    `unknown target "riscv64gc-unknown-linux-gnu": choose one of ${TARGET_TRIPLES.join(", ")}`,
  );
});
