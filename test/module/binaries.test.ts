import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { archiveCommand, archiveEntries } from "../../lib/commands/archive.js";
import {
  AUDITABLE_BIN,
  AUDITABLE_ROOT,
  auditableEnvironment,
  installAuditableCommand,
} from "../../lib/commands/cargo-auditable.js";
import { compileCommand } from "../../lib/commands/cargo-build.js";
import { checkBinaryCommand } from "../../lib/commands/check-binary.js";
import { sbomCommand } from "../../lib/commands/sbom.js";
import { targetBinaries } from "../../lib/plan/names.js";
import { DEFAULT_TARGETS, findTarget, TARGET_TRIPLES, TARGETS } from "../../lib/plan/targets.js";
import { CARGO_AUDITABLE, IMAGES } from "../../lib/stages/images.js";
import { directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import { execContainer } from "../harness/engine.js";
import { imageEnvironment } from "../harness/image-configs.js";
import type { ExecRecord } from "../harness/model.js";
import type { Node } from "../harness/nodes.js";
import { isAuditableInstall } from "../support/auditable.js";
import {
  flagValue,
  isArchiveStep,
  isBinaryCheck,
  isChecksumStep,
  isCompile,
  isSbomStep,
  isVendor,
  scriptSpec,
} from "../support/execs.js";
import { targetRow } from "../support/plan.js";
import { copyExample, scratchDir, writeTree } from "../support/projects.js";

const mod = new ModuleUnderTest();
const dist = scratchDir("binaries-dist");
beforeAll(() => mod.start());
afterAll(async () => {
  await mod.stop();
  dist.remove();
});

/** `... export --path <dir>` on what the function returned; the names it wrote. */
function exported(outcome: { returned?: Node }, name: string): string[] {
  if (!outcome.returned) throw new Error("the function returned no Directory");
  const path = mod.engine.exportReturned(outcome.returned, join(dist.path, name));
  return readdirSync(path).sort();
}

const isCargo = isCompile;
const isCheck = isBinaryCheck;

/** Answers the native binary's --version like the sample CLI does. */
function versionAnswer(version: string) {
  return (e: ExecRecord) =>
    e.argv[1] === "--version" ? { stdout: `sample-usage ${version}\n` } : undefined;
}

describe("dagger call build --target <triple>", () => {
  // Every row of the table, chosen by the project or not: the sample chooses none.
  test.each(TARGETS.map((t) => [t.triple]))(
    "%s: image, argv, environment, caches, check",
    async (triple) => {
      const target = findTarget(triple);
      const outcome = await mod.call(
        "build",
        { target: triple, tag: "v0.1.5" },
        { answers: { exec: versionAnswer("0.1.5") } },
      );
      expect(outcome.error).toBeUndefined();
      const execs = outcome.model.execs;
      const buildImage = target.toolchain === "zig" ? IMAGES.zigbuild : IMAGES.xwin;

      const cargo = execs.filter(isCargo);
      expect(cargo).toHaveLength(1);
      const build = cargo[0] as ExecRecord;
      // Build and copy out happen in one step: the target directory is shared with maturin.
      expect(build.argv).toEqual(
        compileCommand(targetRow(target.triple, ["sample-usage"]), "/cargo-target", "/out"),
      );
      expect(flagValue(build, "--target")).toBe(target.buildTarget);
      expect(build.argv[2]).toContain("--frozen");
      expect(build.image).toBe(buildImage);
      // Built natively on the engine's platform: never under emulation.
      expect(build.platform).toBe(mod.engine.defaultPlatform);
      expect(build.workdir).toBe("/src");
      expect(execs.map((e) => e.argv.slice(0, 3))).toContainEqual(["rustup", "target", "add"]);

      expect(build.env.CARGO_TARGET_DIR).toBe("/cargo-target");
      // SDKROOT is the image's own, never a copy of its path.
      expect(build.env.SDKROOT).toBe(imageEnvironment(buildImage).SDKROOT);
      expect(build.env.MACOSX_DEPLOYMENT_TARGET).toBe(target.macosDeploymentTarget ?? undefined);
      const rustflags = `CARGO_TARGET_${triple.toUpperCase().replaceAll("-", "_")}_RUSTFLAGS`;
      expect(build.env[rustflags]).toBe(
        target.os === "windows" ? "-C link-arg=/Brepro" : undefined,
      );
      expect(Object.keys(build.env).filter((name) => name.endsWith("_RUSTFLAGS"))).toEqual(
        target.os === "windows" ? [rustflags] : [],
      );
      const mounts = Object.fromEntries(
        Object.entries(build.mounts).map(([path, m]) => [
          path,
          m.type === "cache"
            ? `${m.key} ${m.sharing}`
            : `${m.type}${m.type === "directory" && m.readOnly ? " ro" : ""}`,
        ]),
      );
      expect(mounts).toEqual({
        [AUDITABLE_ROOT]: "directory ro",
        "/vendored": "directory ro",
        "/cargo-target": `rust-release-sample-usage-target-${triple} LOCKED`,
        ...(target.toolchain === "zig"
          ? { "/zig-cache": "rust-release-sample-usage-zig SHARED" }
          : { "/xwin-cache": "rust-release-sample-usage-xwin LOCKED" }),
      });
      expect(
        build.env[target.toolchain === "zig" ? "ZIG_GLOBAL_CACHE_DIR" : "XWIN_CACHE_DIR"],
      ).toBe(target.toolchain === "zig" ? "/zig-cache" : "/xwin-cache");

      // The dependencies were fetched once, before the build, by the vendoring step.
      const vendor = execs.filter(isVendor);
      expect(vendor).toHaveLength(1);
      expect(execs.indexOf(vendor[0] as ExecRecord)).toBeLessThan(execs.indexOf(build));
      expect(vendor[0]?.mounts).toEqual({
        "/cargo-home": {
          type: "cache",
          key: "rust-release-sample-usage-cargo-home",
          sharing: "LOCKED",
        },
      });
      expect(build.contents["/.cargo/config.toml"]).toContain("/vendored");

      // cargo-auditable is the workspace's rustc wrapper: the binary carries its dependency
      // list. It was built from crates.io, pinned and --locked, in the same image, before.
      expect(build.env).toMatchObject(auditableEnvironment());
      expect(build.env.RUSTC_WORKSPACE_WRAPPER).toBe(AUDITABLE_BIN);
      expect(JSON.parse(build.env.CARGO_AUDITABLE_ORIG_ARGS ?? "")).toMatchObject({ frozen: true });
      const tool = execs.filter(isAuditableInstall);
      expect(tool).toHaveLength(1);
      expect(tool[0]?.argv).toEqual(installAuditableCommand(CARGO_AUDITABLE, AUDITABLE_ROOT));
      expect(tool[0]?.argv).toContain("--locked");
      expect(tool[0]?.argv.at(-1)).toBe(`cargo-auditable@${CARGO_AUDITABLE.version}`);
      expect(tool[0]?.image).toBe(buildImage);
      expect(tool[0]?.platform).toBe(mod.engine.defaultPlatform);
      // Nothing of the project reaches it: one build per engine and image, whatever the project.
      expect(Object.keys(tool[0]?.contents ?? {})).toEqual([]);
      expect(tool[0]?.mounts).toEqual({});
      expect(execs.indexOf(tool[0] as ExecRecord)).toBeLessThan(execs.indexOf(build));

      // The tag's version is in the source cargo builds, in Cargo.toml and Cargo.lock.
      const inside = execContainer(mod.engine, execs.indexOf(build));
      expect(inside.text("/src/Cargo.toml")).toContain('version = "0.1.5"');
      expect(inside.text("/src/Cargo.lock")).toContain('name = "sample-usage"\nversion = "0.1.5"');

      const check = execs.filter(isCheck);
      expect(check).toHaveLength(1);
      const path = `/in/${triple}/release/sample-usage${target.exeSuffix}`;
      expect(check[0]?.argv).toEqual(checkBinaryCommand(target, path));
      expect(check[0]?.image).toBe(IMAGES.python);

      // Run where the engine runs it natively: glibc and static musl x86_64 builds.
      const version = execs.filter((e) => e.argv[1] === "--version");
      expect(version.map((e) => e.platform)).toEqual(
        target.platform === "linux/amd64" ? ["linux/amd64"] : [],
      );

      expect(outcome.returned?.kind).toBe("Directory");
      expect(mod.engine.evaluator.entries(outcome.returned as never)).toEqual([
        `sample-usage${target.exeSuffix}`,
      ]);
    },
  );

  test("without --target it builds the engine host's Linux target, Cargo.toml's version", async () => {
    mod.engine.defaultPlatform = "linux/arm64";
    try {
      const outcome = await mod.call("build", {}, { answers: { exec: versionAnswer("0.1.0") } });
      expect(outcome.error).toBeUndefined();
      const cargo = outcome.model.execs.filter(isCargo);
      expect(flagValue(cargo[0] as ExecRecord, "--target")).toBe("aarch64-unknown-linux-gnu.2.17");
      expect(
        execContainer(mod.engine, outcome.model.execs.indexOf(cargo[0] as ExecRecord)).text(
          "/src/Cargo.toml",
        ),
      ).toContain('version = "0.1.0"');
    } finally {
      mod.engine.defaultPlatform = "linux/amd64";
    }
  });

  test("without --target, a project that releases static musl builds gets its musl one", async () => {
    const outcome = await mod.call(
      "build",
      {},
      {
        module: { targets: ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"] },
        answers: { exec: versionAnswer("0.1.0") },
      },
    );
    expect(outcome.error).toBeUndefined();
    const cargo = outcome.model.execs.filter(isCargo);
    expect(cargo.map((e) => flagValue(e, "--target"))).toEqual(["x86_64-unknown-linux-musl"]);
    expect(outcome.model.execs.filter(isCheck).map((e) => scriptSpec(e).abi)).toEqual(["musl"]);
  });

  test("without --target, a project with no target for the engine's platform is told to name one", async () => {
    const outcome = await mod.call(
      "build",
      {},
      { module: { targets: ["aarch64-apple-darwin", "x86_64-pc-windows-msvc"] } },
    );
    expect(outcome.error).toBe(
      'unsupported platform "linux/amd64" (the engine\'s platform, which one-target calls build ' +
        "without --target or --platform): this release's image is built for no platform, from " +
        "its Linux targets (--targets)",
    );
    expect(outcome.model.containers).toEqual([]);
  });

  test("an unknown target fails with the valid ones and creates no container", async () => {
    const outcome = await mod.call("build", { target: "riscv64gc-unknown-linux-gnu" });
    expect(outcome.error).toBe(
      `unknown target "riscv64gc-unknown-linux-gnu": choose one of ${TARGET_TRIPLES.join(", ")}`,
    );
    expect(outcome.model.execs).toEqual([]);
    expect(outcome.model.containers).toEqual([]);
  });

  test("a binary of the wrong architecture fails the call with the check's message", async () => {
    const message =
      "aarch64-unknown-linux-gnu: expected ELF aarch64, found ELF x86-64 (is the zig target right?)";
    const outcome = await mod.call(
      "build",
      { target: "aarch64-unknown-linux-gnu" },
      {
        answers: {
          exec: (e) => (isCheck(e) ? { exitCode: 1, stderr: `${message}\n` } : undefined),
        },
      },
    );
    expect(outcome.error).toBe(message);
    expect(outcome.model.exports).toEqual([]);
  });

  test("a native binary that reports another version fails the call", async () => {
    const outcome = await mod.call(
      "build",
      { target: "x86_64-unknown-linux-gnu", tag: "v0.1.5" },
      { answers: { exec: versionAnswer("0.1.0") } },
    );
    expect(outcome.error).toContain(
      'x86_64-unknown-linux-gnu: `sample-usage --version` printed "sample-usage 0.1.0", not the version 0.1.5',
    );
  });

  test("a compile error names the target and carries rustc's first error, not only the tail", async () => {
    const stderr = [
      "   Compiling sample-usage v0.1.0 (/src)",
      "error[E0425]: cannot find value `totl` in this scope",
      "  --> src/lib.rs:88:9",
      "   |",
      "88 |         totl",
      "   |         ^^^^ help: a local variable with a similar name exists: `total`",
      "",
      ...Array.from({ length: 30 }, (_, i) => `warning: unused variable \`x${i}\``),
      "error: could not compile `sample-usage` (lib) due to 1 previous error",
    ].join("\n");
    const outcome = await mod.call(
      "build",
      { target: "x86_64-apple-darwin" },
      { answers: { exec: (e) => (isCargo(e) ? { exitCode: 101, stderr } : undefined) } },
    );
    expect(outcome.error).toMatch(
      /^x86_64-apple-darwin: cargo zigbuild failed \(exit code 101\):\n/,
    );
    expect(outcome.error).toContain(
      "error[E0425]: cannot find value `totl` in this scope\n  --> src/lib.rs:88:9",
    );
    expect(outcome.error).toContain("error: could not compile `sample-usage` (lib)");
    expect(outcome.error).not.toContain("unused variable `x0`");
    expect(outcome.model.execs.filter(isCheck)).toEqual([]);
  });

  test("the source's rust-toolchain.toml channel is installed, with the target, before cargo", async () => {
    const dir = scratchDir("binaries-toolchain");
    try {
      copyExample(dir.path);
      writeTree(dir.path, { "rust-toolchain.toml": '[toolchain]\nchannel = "1.83.0"\n' });
      const outcome = await mod.call(
        "build",
        { target: "aarch64-apple-darwin" },
        { module: { source: directoryArg(dir.path) } },
      );
      expect(outcome.error).toBeUndefined();
      const execs = outcome.model.execs;
      const argvs = execs.map((e) => e.argv.slice(0, 4).join(" "));
      const install = argvs.indexOf("rustup toolchain install 1.83.0");
      expect(install).toBeGreaterThanOrEqual(0);
      expect(install).toBeLessThan(execs.findIndex(isCargo));
      // The vendoring step runs the crate's own cargo too.
      const vendor = execs.findIndex(isVendor);
      expect(argvs.slice(0, vendor)).toContain("rustup toolchain install 1.83.0");
    } finally {
      dir.remove();
    }
  });

  test("a zigbuild image that no longer sets SDKROOT stops a macOS build before anything runs", async () => {
    const outcome = await mod.call(
      "build",
      { target: "aarch64-apple-darwin" },
      { answers: { imageEnv: (image) => (image === IMAGES.zigbuild ? {} : undefined) } },
    );
    expect(outcome.error).toBe(
      `aarch64-apple-darwin: the image ${IMAGES.zigbuild} sets no SDKROOT, so crates that link ` +
        "Apple frameworks cannot link: pin a cargo-zigbuild image that ships a macOS SDK",
    );
    expect(outcome.model.execs).toEqual([]);
  });

  test("when several targets fail at once, the error names every one with its own cause", async () => {
    const failing: Record<string, string> = {
      "x86_64-apple-darwin": "error: linking with `cc` failed: exit status: 1",
      "x86_64-pc-windows-msvc": "error: failed to run custom build command for `ring v0.17.8`",
    };
    const outcome = await mod.call(
      "releaseArchives",
      {},
      {
        answers: {
          exec: (e) => {
            const triple = Object.keys(failing).find((t) => e.argv[2]?.includes(`--target ${t}`));
            if (isCargo(e) && triple) return { exitCode: 101, stderr: failing[triple] };
            return versionAnswer("0.1.0")(e);
          },
        },
      },
    );
    expect(outcome.error).toMatch(/^2 of 5 steps failed:/);
    expect(outcome.error).toContain(
      "x86_64-apple-darwin: cargo zigbuild failed (exit code 101):\nerror: linking with `cc` failed",
    );
    expect(outcome.error).toContain(
      "x86_64-pc-windows-msvc: cargo xwin build failed (exit code 101):\nerror: failed to run custom build command",
    );
  });

  test("cargo never sees target/ or .git/ of the source", async () => {
    const dir = scratchDir("binaries-source");
    try {
      copyExample(dir.path);
      writeTree(dir.path, {
        "target/debug/junk": "x",
        ".git/HEAD": "ref: main",
        "notes.txt": "keep",
      });
      const outcome = await mod.call(
        "build",
        { target: "x86_64-unknown-linux-gnu" },
        { module: { source: directoryArg(dir.path) }, answers: { exec: versionAnswer("0.1.0") } },
      );
      const index = outcome.model.execs.findIndex(isCargo);
      const files = execContainer(mod.engine, index).files("/src");
      expect(files).toContain("notes.txt");
      expect(files).toContain("Cargo.lock");
      expect(files.filter((f) => f.startsWith("target/") || f.startsWith(".git/"))).toEqual([]);
    } finally {
      dir.remove();
    }
  });
});

describe("archives", () => {
  test("dagger call archive --target x86_64-pc-windows-msvc: a zip with the binary and docs", async () => {
    const target = findTarget("x86_64-pc-windows-msvc");
    const outcome = await mod.call("archive", { target: target.triple, tag: "v0.1.5" });
    expect(outcome.error).toBeUndefined();
    expect(exported(outcome, "windows")).toEqual([
      "sample-usage-x86_64-pc-windows-msvc.zip",
      "sample-usage-x86_64-pc-windows-msvc.zip.cdx.json",
    ]);
    const archive = outcome.model.execs.find(
      (e) => isArchiveStep(e) && scriptSpec(e).format === "zip",
    );
    expect(archive?.argv).toEqual(
      archiveCommand({
        format: "zip",
        output: "/out/sample-usage-x86_64-pc-windows-msvc.zip",
        entries: archiveEntries(
          targetBinaries(target, ["sample-usage"]),
          ["/docs/LICENSE", "/docs/README.md"],
          "/in",
        ),
        mtime: 315532800,
      }),
    );
    expect(archive?.image).toBe(IMAGES.python);
    const sbom = outcome.model.execs.filter(isSbomStep);
    expect(sbom.map((e) => e.argv)).toEqual([
      sbomCommand({
        output: "/out/sample-usage-x86_64-pc-windows-msvc.zip.cdx.json",
        target: "x86_64-pc-windows-msvc",
        package: { name: "sample-usage", version: "0.1.5" },
        binaries: [
          { path: "/in/x86_64-pc-windows-msvc/release/sample-usage.exe", name: "sample-usage.exe" },
        ],
        sourceDateEpoch: 315532800,
        generator: { name: "cargo-auditable", version: CARGO_AUDITABLE.version },
      }),
    ]);
    expect(sbom[0]?.image).toBe(IMAGES.python);
    // It reads the checked binary, the one the archive holds.
    const check = outcome.model.execs.findIndex(isBinaryCheck);
    expect(
      execContainer(mod.engine, outcome.model.execs.indexOf(sbom[0] as ExecRecord)).bytes(
        "/in/x86_64-pc-windows-msvc/release/sample-usage.exe",
      ),
    ).toEqual(
      execContainer(mod.engine, check).bytes("/in/x86_64-pc-windows-msvc/release/sample-usage.exe"),
    );
  });

  test("--source-date-epoch stamps the archive entries", async () => {
    const outcome = await mod.call(
      "archive",
      { target: "aarch64-apple-darwin" },
      { module: { sourceDateEpoch: 1_700_000_000 } },
    );
    exported(outcome, "epoch");
    const archive = outcome.model.execs.find(
      (e) => isArchiveStep(e) && scriptSpec(e).format === "tar.gz",
    );
    expect(JSON.parse(archive?.argv[2] as string).mtime).toBe(1_700_000_000);
  });

  test("a negative --source-date-epoch is refused before anything runs", async () => {
    const outcome = await mod.call("archive", {}, { module: { sourceDateEpoch: -1 } });
    expect(outcome.error).toBe(
      "invalid --source-date-epoch -1: give whole unix seconds, e.g. $(git log -1 --format=%ct)",
    );
    expect(outcome.model.containers).toEqual([]);
  });

  test("dagger call release-archives: five concurrent builds, five archives and SBOMs, SHA256SUMS", async () => {
    mod.engine.latencyMs = 30;
    try {
      const outcome = await mod.call(
        "releaseArchives",
        { tag: "v0.1.5" },
        { answers: { exec: versionAnswer("0.1.5") } },
      );
      expect(outcome.error).toBeUndefined();
      const archives = DEFAULT_TARGETS.map((t) => `sample-usage-${t.triple}.${t.archiveFormat}`);
      const sboms = archives.map((archive) => `${archive}.cdx.json`);
      expect(exported(outcome, "all")).toEqual([...archives, ...sboms, "SHA256SUMS"].sort());
      const builds = outcome.model.execs.filter(isCargo);
      expect(builds.map((e) => flagValue(e, "--target")).sort()).toEqual(
        DEFAULT_TARGETS.map((t) => t.buildTarget).sort(),
      );
      // Each build has only the source and the vendored dependencies (fetched once, by one
      // step) as input: no target waits for another's output.
      for (const build of builds) {
        expect(Object.keys(build.contents).sort()).toEqual(["/.cargo/config.toml", "/src"]);
      }
      expect(outcome.model.execs.filter(isVendor)).toHaveLength(1);
      expect(mod.engine.maxInFlight).toBeGreaterThanOrEqual(5);
      expect(new Set(builds.map((e) => e.platform))).toEqual(new Set(["linux/amd64"]));

      const sums = outcome.model.execs.find(isChecksumStep);
      const spec = JSON.parse(sums?.argv[2] as string) as { files: { name: string }[] };
      expect(spec.files.map((f) => f.name).sort()).toEqual([...archives, ...sboms].sort());
      // One SBOM step per target, each naming its own target; cargo-auditable built once per image.
      expect(
        outcome.model.execs
          .filter(isSbomStep)
          .map((e) => scriptSpec(e).target)
          .sort(),
      ).toEqual(DEFAULT_TARGETS.map((t) => t.triple).sort());
      expect(
        outcome.model.execs
          .filter(isAuditableInstall)
          .map((e) => e.image)
          .sort(),
      ).toEqual([IMAGES.xwin, IMAGES.zigbuild].sort());
    } finally {
      mod.engine.latencyMs = 0;
    }
  });
});
