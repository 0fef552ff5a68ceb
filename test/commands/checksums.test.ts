import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { archiveCommand, DOC_MODE } from "../../lib/commands/archive.js";
import { checksumCommand, formatChecksums } from "../../lib/commands/checksums.js";
import { CHECKSUM_FILE } from "../../lib/plan/names.js";
import { run } from "../example/tools.js";
import { EXAMPLE_DIR, failureOf, runArgv } from "./sample-binaries.js";

const A_HASH = "a".repeat(64);
const B_HASH = "b".repeat(64);

describe("formatChecksums", () => {
  test("writes `<hex>  <name>` lines sorted by name in byte order, as the script does", () => {
    expect(
      formatChecksums([
        { name: "tool-x86_64-unknown-linux-gnu.tar.gz", sha256: A_HASH },
        { name: "tool-aarch64-apple-darwin.tar.gz", sha256: B_HASH },
        { name: "Tool.zip", sha256: A_HASH },
      ]),
    ).toBe(
      `${A_HASH}  Tool.zip\n` +
        `${B_HASH}  tool-aarch64-apple-darwin.tar.gz\n` +
        `${A_HASH}  tool-x86_64-unknown-linux-gnu.tar.gz\n`,
    );
  });

  test.each([
    ["a newline in a name", [{ name: "a\nb", sha256: A_HASH }], "cannot be written as a plain"],
    ["a backslash in a name", [{ name: "a\\b", sha256: A_HASH }], "cannot be written as a plain"],
    [
      "a duplicate name",
      [
        { name: "a", sha256: A_HASH },
        { name: "a", sha256: B_HASH },
      ],
      "twice",
    ],
    ["an uppercase digest", [{ name: "a", sha256: A_HASH.toUpperCase() }], "not a lowercase hex"],
  ])("refuses %s", (_, entries, message) => {
    expect(() => formatChecksums(entries)).toThrow(message);
  });

  test("checksumCommand refuses the same names formatChecksums refuses", () => {
    expect(() => checksumCommand([{ path: "/a", name: "a\nb" }], "/SUMS")).toThrow("plain line");
    expect(() => checksumCommand([], "/SUMS")).toThrow("nothing to checksum");
  });
});

describe("checksumCommand on real archives, checked by sha256sum -c", () => {
  let tmp = "";
  let dist = "";
  const names = [
    "sample-usage-x86_64-unknown-linux-gnu.tar.gz",
    "sample-usage-x86_64-pc-windows-msvc.zip",
  ];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "checksum-command-"));
    dist = join(tmp, "dist");
    await mkdir(dist);
    for (const name of names) {
      const spec = {
        format: name.endsWith(".zip") ? ("zip" as const) : ("tar.gz" as const),
        output: join(dist, name),
        entries: [{ source: join(EXAMPLE_DIR, "README.md"), name: "README.md", mode: DOC_MODE }],
        mtime: 1_700_000_000,
      };
      await runArgv(archiveCommand(spec));
    }
  });

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  test("writes what formatChecksums would, and sha256sum -c accepts it", async () => {
    const output = join(dist, CHECKSUM_FILE);
    const files = names.map((name) => ({ path: join(dist, name), name }));
    const { stdout } = await runArgv(checksumCommand(files, output));

    const digests = await Promise.all(
      names.map(async (name) => ({
        name,
        sha256: createHash("sha256")
          .update(await readFile(join(dist, name)))
          .digest("hex"),
      })),
    );
    const expected = formatChecksums(digests);
    expect(await readFile(output, "utf8")).toBe(expected);
    expect(stdout).toBe(expected);
    // The zip sorts before the tar.gz ("p" < "u"), whatever order the files were given in.
    expect(expected.split("\n")[0]).toMatch(/ {2}sample-usage-x86_64-pc-windows-msvc\.zip$/);

    const checked = await run("sha256sum", ["-c", CHECKSUM_FILE], { cwd: dist });
    expect(checked.stdout).toBe(
      names
        .map((name) => `${name}: OK\n`)
        .sort()
        .join(""),
    );
  });

  test("sha256sum -c fails once a single byte of an archive changes", async () => {
    const copy = join(tmp, "tampered");
    await mkdir(copy);
    for (const name of names) await copyFile(join(dist, name), join(copy, name));
    const files = names.map((name) => ({ path: join(copy, name), name }));
    await runArgv(checksumCommand(files, join(copy, CHECKSUM_FILE)));
    await run("sha256sum", ["-c", CHECKSUM_FILE], { cwd: copy });

    const [tamperedName = "", intactName = ""] = names;
    const bytes = await readFile(join(copy, tamperedName));
    bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 0xff;
    await writeFile(join(copy, tamperedName), bytes);
    const message = await failureOf(run("sha256sum", ["-c", CHECKSUM_FILE], { cwd: copy }));
    expect(message).toContain(`${tamperedName}: FAILED`);
    expect(message).toContain(`${intactName}: OK`);
    expect(message).toContain("1 computed checksum did NOT match");
  });
});
