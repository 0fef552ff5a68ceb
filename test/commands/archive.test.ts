import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type ArchiveSpec,
  archiveCommand,
  archiveEntries,
  BINARY_MODE,
  DOC_MODE,
} from "../../lib/commands/archive.js";
import { archiveName, binaryOutputPath, targetBinaries } from "../../lib/plan/names.js";
import type { Target } from "../../lib/plan/target.js";
import { findTarget } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import {
  BIN,
  BUILD_TIMEOUT_MS,
  buildHostBinary,
  EXAMPLE_DIR,
  failureOf,
  runArgv,
} from "./sample-binaries.js";

const LINUX = findTarget("x86_64-unknown-linux-gnu");
const WINDOWS = findTarget("x86_64-pc-windows-msvc");
// 2023-11-14 22:13:20 UTC: an even second, which DOS time (2 s steps) can hold exactly.
const MTIME = 1_700_000_000;
const LICENSE = join(EXAMPLE_DIR, "LICENSE");
const README = join(EXAMPLE_DIR, "README.md");
// What the stage would list in the crate's root: only LICENSE* and README* go in.
const CRATE_FILES = [join(EXAMPLE_DIR, "Cargo.toml"), LICENSE, README, join(EXAMPLE_DIR, "src")];

describe("archiveEntries", () => {
  test("puts each binary at the root, executable, with the LICENSE and README docs, sorted", () => {
    expect(
      archiveEntries(
        targetBinaries(WINDOWS, ["sample-usage", "helper"]),
        ["/src/README.md", "/src/Cargo.toml", "/src/LICENSE-MIT", "/src/LICENSES", "/src/src"],
        "/src/target",
      ),
    ).toEqual([
      { source: "/src/LICENSE-MIT", name: "LICENSE-MIT", mode: 0o644 },
      { source: "/src/README.md", name: "README.md", mode: 0o644 },
      {
        source: "/src/target/x86_64-pc-windows-msvc/release/helper.exe",
        name: "helper.exe",
        mode: 0o755,
      },
      {
        source: "/src/target/x86_64-pc-windows-msvc/release/sample-usage.exe",
        name: "sample-usage.exe",
        mode: 0o755,
      },
    ]);
  });
});

describe("archiveCommand refuses specs that could not give a clean archive", () => {
  const entry = { source: "/x", name: "x", mode: 0o644 };
  const spec: ArchiveSpec = { format: "zip", output: "/out/a.zip", entries: [entry], mtime: 0 };

  test.each([
    ["a duplicate name", { entries: [entry, { ...entry, source: "/y" }] }, '"x" appears twice'],
    ["an absolute name", { entries: [{ ...entry, name: "/x" }] }, "not a plain relative path"],
    ["a parent step", { entries: [{ ...entry, name: "a/../x" }] }, "not a plain relative path"],
    ["a fractional mtime", { mtime: 1.5 }, "mtime must be whole unix seconds, got 1.5"],
    ["a setuid mode", { entries: [{ ...entry, mode: 0o4755 }] }, "not a permission mode"],
    ["no entries", { entries: [] }, "an archive needs entries"],
  ])("%s", (_, change, message) => {
    expect(() => archiveCommand({ ...spec, ...change })).toThrow(message);
  });
});

interface TarListed {
  mode: string;
  owner: string;
  size: number;
  time: string;
  name: string;
}

// `tar -tv --full-time` line: mode owner/group size date time name.
function parseTarListing(listing: string): TarListed[] {
  return listing
    .trimEnd()
    .split("\n")
    .map((line) => {
      const [mode = "", owner = "", size = "", date = "", time = "", name = ""] = line.split(/\s+/);
      return { mode, owner, size: Number(size), time: `${date} ${time}`, name };
    });
}

interface ZipListed {
  mode: string;
  /** The system that made the entry: "unx" when its mode bits are meant to be applied. */
  system: string;
  method: string;
  time: string;
  name: string;
}

// `zipinfo -T` line: mode version system size type method yyyymmdd.hhmmss name.
function parseZipListing(listing: string): ZipListed[] {
  return listing
    .trimEnd()
    .split("\n")
    .filter((line) => /^[-d]r/.test(line))
    .map((line) => {
      const [mode = "", , system = "", , , method = "", time = "", name = ""] = line.split(/\s+/);
      return { mode, system, method, time, name };
    });
}

describe("archiveCommand, run with this machine's python3", () => {
  let tmp = "";
  let hostBinary = "";

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "archive-command-"));
    hostBinary = await buildHostBinary(tmp);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  // Lays the host binary out where cargo would put the target's binary.
  async function specFor(target: Target, output: string): Promise<ArchiveSpec> {
    const cargoTargetDir = join(tmp, "target");
    const binary = join(cargoTargetDir, binaryOutputPath(BIN, target));
    await mkdir(dirname(binary), { recursive: true });
    await copyFile(hostBinary, binary);
    const entries = archiveEntries(targetBinaries(target, [BIN]), CRATE_FILES, cargoTargetDir);
    return { format: target.archiveFormat, output, entries, mtime: MTIME };
  }

  async function writeArchive(spec: ArchiveSpec): Promise<Buffer> {
    await mkdir(dirname(spec.output), { recursive: true });
    const { stdout } = await runArgv(archiveCommand(spec));
    expect(stdout).toContain(`wrote ${spec.output}`);
    return readFile(spec.output);
  }

  async function expectSameBytes(extracted: string, name: string, source: string): Promise<void> {
    const [got, want] = await Promise.all([readFile(join(extracted, name)), readFile(source)]);
    expect(got.equals(want), `${name} extracted with different bytes`).toBe(true);
  }

  test("tar.gz: sorted root entries, modes, owner 0/0, one date, bare gzip header", async () => {
    const output = join(tmp, "dist", archiveName(BIN, LINUX));
    const spec = await specFor(LINUX, output);
    const bytes = await writeArchive(spec);
    const binarySize = (await stat(hostBinary)).size;

    const { stdout } = await run("tar", ["-tvzf", output, "--full-time"], {
      env: { ...process.env, TZ: "UTC" },
    });
    expect(parseTarListing(stdout)).toEqual([
      {
        mode: "-rw-r--r--",
        owner: "0/0",
        size: (await stat(LICENSE)).size,
        time: "2023-11-14 22:13:20",
        name: "LICENSE",
      },
      {
        mode: "-rw-r--r--",
        owner: "0/0",
        size: (await stat(README)).size,
        time: "2023-11-14 22:13:20",
        name: "README.md",
      },
      {
        mode: "-rwxr-xr-x",
        owner: "0/0",
        size: binarySize,
        time: "2023-11-14 22:13:20",
        name: BIN,
      },
    ]);

    // RFC 1952: ID1 ID2 CM FLG MTIME(4). FLG 0 means no FNAME (and nothing else optional).
    expect([...bytes.subarray(0, 8)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    const described = await run("file", [output]);
    expect(described.stdout).toContain("gzip compressed data");
    expect(described.stdout).not.toMatch(/was "|last modified/);

    const extracted = join(tmp, "tar-extracted");
    await mkdir(extracted);
    await run("tar", ["-xzf", output, "-C", extracted]);
    await expectSameBytes(extracted, BIN, hostBinary);
    await expectSameBytes(extracted, "LICENSE", LICENSE);
    await expectSameBytes(extracted, "README.md", README);
    expect((await stat(join(extracted, BIN))).mode & 0o777).toBe(BINARY_MODE);
    const version = await run(join(extracted, BIN), ["--version"]);
    expect(version.stdout).toMatch(/^sample-usage \d+\.\d+\.\d+/);
  });

  test("zip: unix modes survive, DOS date in UTC, deflated, .exe at the root", async () => {
    const output = join(tmp, "dist", archiveName(BIN, WINDOWS));
    await writeArchive(await specFor(WINDOWS, output));

    const { stdout } = await run("unzip", ["-Z", "-T", output]);
    const when = "20231114.221320";
    expect(parseZipListing(stdout)).toEqual([
      { mode: "-rw-r--r--", system: "unx", method: "defN", time: when, name: "LICENSE" },
      { mode: "-rw-r--r--", system: "unx", method: "defN", time: when, name: "README.md" },
      { mode: "-rwxr-xr-x", system: "unx", method: "defN", time: when, name: "sample-usage.exe" },
    ]);

    const extracted = join(tmp, "zip-extracted");
    await run("unzip", ["-q", output, "-d", extracted]);
    await expectSameBytes(extracted, "sample-usage.exe", hostBinary);
    await expectSameBytes(extracted, "LICENSE", LICENSE);
    await expectSameBytes(extracted, "README.md", README);
    expect((await stat(join(extracted, "sample-usage.exe"))).mode & 0o777).toBe(BINARY_MODE);
    expect((await stat(join(extracted, "README.md"))).mode & 0o777).toBe(DOC_MODE);
  });

  test.each([
    ["tar.gz", LINUX],
    ["zip", WINDOWS],
  ])("%s: the same inputs give the same bytes, whatever the entry order", async (_, target) => {
    const first = await specFor(target, join(tmp, "first", archiveName(BIN, target)));
    const second: ArchiveSpec = {
      ...first,
      output: join(tmp, "second", archiveName(BIN, target)),
      entries: [...first.entries].reverse(),
    };
    const [a, b] = [await writeArchive(first), await writeArchive(second)];
    expect(a.equals(b)).toBe(true);
    // Guards against a vacuous pass: the mtime does reach the bytes.
    const later: ArchiveSpec = { ...first, output: join(tmp, "later", "a"), mtime: MTIME + 2 };
    expect((await writeArchive(later)).equals(a)).toBe(false);
  });

  test("zip clamps dates before 1980 to 1980-01-01, the earliest DOS date", async () => {
    const output = join(tmp, "epoch", "docs.zip");
    await writeArchive({
      format: "zip",
      output,
      entries: [{ source: LICENSE, name: "LICENSE", mode: DOC_MODE }],
      mtime: 0,
    });
    const { stdout } = await run("unzip", ["-Z", "-T", output]);
    expect(parseZipListing(stdout).map((entry) => entry.time)).toEqual(["19800101.000000"]);
  });

  test("a missing source fails with the reason, not a traceback", async () => {
    const output = join(tmp, "missing", "a.tar.gz");
    await mkdir(dirname(output), { recursive: true });
    const message = await failureOf(
      runArgv(
        archiveCommand({
          format: "tar.gz",
          output,
          entries: [{ source: join(tmp, "missing", "absent"), name: "absent", mode: DOC_MODE }],
          mtime: MTIME,
        }),
      ),
    );
    expect(message).toContain(`cannot write ${output}: [Errno 2] No such file or directory`);
    expect(message).not.toContain("Traceback");
  });
});
