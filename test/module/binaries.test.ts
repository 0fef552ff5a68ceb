import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { archiveCommand, archiveEntries } from "../../src/commands/archive.js";
import { cargoBuildCommand } from "../../src/commands/cargo-build.js";
import { checkBinaryCommand } from "../../src/commands/check-binary.js";
import { findTarget, TARGET_TRIPLES, TARGETS } from "../../src/plan/targets.js";
import { IMAGES, MACOS_SDKROOT } from "../../src/stages/images.js";
import { directoryArg, ModuleUnderTest } from "../harness/dagger-call.js";
import { execContainer } from "../harness/engine.js";
import type { ExecRecord } from "../harness/model.js";
import type { Node } from "../harness/nodes.js";
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

const isCargo = (e: ExecRecord) => e.argv[0] === "cargo";
const isCheck = (e: ExecRecord) => e.argv[0] === "python3" && e.argv[2]?.includes("GLIBC") === true;

/** Answers the native binary's --version like the sample CLI does. */
function versionAnswer(version: string) {
  return (e: ExecRecord) =>
    e.argv[1] === "--version" ? { stdout: `sample-usage ${version}\n` } : undefined;
}

describe("dagger call build --target <triple>", () => {
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
      expect(build.argv).toEqual(cargoBuildCommand(target, ["sample-usage"]));
      expect(build.argv).toContain(target.os === "linux" ? `${triple}.2.17` : triple);
      expect(build.image).toBe(buildImage);
      // Built natively on the engine's platform: never under emulation.
      expect(build.platform).toBe(mod.engine.defaultPlatform);
      expect(build.workdir).toBe("/src");
      expect(execs.map((e) => e.argv.slice(0, 3))).toContainEqual(["rustup", "target", "add"]);

      expect(build.env.CARGO_TARGET_DIR).toBe("/cargo-target");
      if (target.os === "macos") {
        expect(build.env.SDKROOT).toBe(MACOS_SDKROOT);
        expect(build.env.MACOSX_DEPLOYMENT_TARGET).toBe(target.macosDeploymentTarget);
      } else {
        expect(build.env.SDKROOT).toBeUndefined();
      }
      const mounts = Object.fromEntries(
        Object.entries(build.mounts).map(([path, m]) => [
          path,
          m.type === "cache" ? m.key : m.type,
        ]),
      );
      expect(mounts).toEqual({
        "/usr/local/cargo/registry": "rust-release-sample-usage-cargo-registry",
        "/usr/local/cargo/git": "rust-release-sample-usage-cargo-git",
        "/cargo-target": `rust-release-sample-usage-target-${triple}`,
        ...(target.toolchain === "zig"
          ? { "/zig-cache": "rust-release-sample-usage-zig" }
          : { "/xwin-cache": "rust-release-sample-usage-xwin" }),
      });
      expect(
        build.env[target.toolchain === "zig" ? "ZIG_GLOBAL_CACHE_DIR" : "XWIN_CACHE_DIR"],
      ).toBe(target.toolchain === "zig" ? "/zig-cache" : "/xwin-cache");

      // The tag's version is in the source cargo builds, in Cargo.toml and Cargo.lock.
      const inside = execContainer(mod.engine, execs.indexOf(build));
      expect(inside.text("/src/Cargo.toml")).toContain('version = "0.1.5"');
      expect(inside.text("/src/Cargo.lock")).toContain('name = "sample-usage"\nversion = "0.1.5"');

      const check = execs.filter(isCheck);
      expect(check).toHaveLength(1);
      const path = `/in/${triple}/release/sample-usage${target.exeSuffix}`;
      expect(check[0]?.argv).toEqual(checkBinaryCommand(target, path));
      expect(check[0]?.image).toBe(IMAGES.python);

      const version = execs.filter((e) => e.argv[1] === "--version");
      expect(version.map((e) => e.platform)).toEqual(
        triple === "x86_64-unknown-linux-gnu" ? ["linux/amd64"] : [],
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
      expect(cargo[0]?.argv).toContain("aarch64-unknown-linux-gnu.2.17");
      expect(
        execContainer(mod.engine, outcome.model.execs.indexOf(cargo[0] as ExecRecord)).text(
          "/src/Cargo.toml",
        ),
      ).toContain('version = "0.1.0"');
    } finally {
      mod.engine.defaultPlatform = "linux/amd64";
    }
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

  test("a compile error surfaces as cargo's own failure", async () => {
    const outcome = await mod.call(
      "build",
      { target: "x86_64-apple-darwin" },
      {
        answers: {
          exec: (e) =>
            isCargo(e) ? { exitCode: 101, stderr: "error[E0425]: cannot find value" } : undefined,
        },
      },
    );
    expect(outcome.error).toMatch(/cargo zigbuild .*exit code: 101/);
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
      const argvs = outcome.model.execs.map((e) => e.argv.slice(0, 4).join(" "));
      expect(argvs.indexOf("rustup toolchain install 1.83.0")).toBeGreaterThanOrEqual(0);
      expect(argvs.indexOf("rustup toolchain install 1.83.0")).toBeLessThan(
        argvs.indexOf("cargo zigbuild --release --locked"),
      );
    } finally {
      dir.remove();
    }
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
    expect(exported(outcome, "windows")).toEqual(["sample-usage-x86_64-pc-windows-msvc.zip"]);
    const archive = outcome.model.execs.find((e) => e.argv[2]?.includes("zipfile") === true);
    expect(archive?.argv).toEqual(
      archiveCommand({
        format: "zip",
        output: "/out/sample-usage-x86_64-pc-windows-msvc.zip",
        entries: archiveEntries(
          target,
          ["sample-usage"],
          ["/docs/LICENSE", "/docs/README.md"],
          "/in",
        ),
        mtime: 315532800,
      }),
    );
    expect(archive?.image).toBe(IMAGES.python);
  });

  test("--source-date-epoch stamps the archive entries", async () => {
    const outcome = await mod.call(
      "archive",
      { target: "aarch64-apple-darwin" },
      { module: { sourceDateEpoch: 1_700_000_000 } },
    );
    exported(outcome, "epoch");
    const archive = outcome.model.execs.find((e) => e.argv[2]?.includes("tarfile") === true);
    expect(JSON.parse(archive?.argv[3] as string).mtime).toBe(1_700_000_000);
  });

  test("dagger call release-archives: five concurrent builds, five archives, SHA256SUMS", async () => {
    mod.engine.latencyMs = 30;
    try {
      const outcome = await mod.call(
        "releaseArchives",
        { tag: "v0.1.5" },
        { answers: { exec: versionAnswer("0.1.5") } },
      );
      expect(outcome.error).toBeUndefined();
      expect(exported(outcome, "all")).toEqual(
        [...TARGETS.map((t) => `sample-usage-${t.triple}.${t.archive}`), "SHA256SUMS"].sort(),
      );
      const builds = outcome.model.execs.filter(isCargo);
      expect(builds.map((e) => e.argv[e.argv.indexOf("--target") + 1]).sort()).toEqual(
        TARGETS.map((t) => t.buildTarget).sort(),
      );
      // Each build has only the source as input: no target waits for another's output.
      for (const build of builds) expect(Object.keys(build.contents)).toEqual(["/src"]);
      expect(mod.engine.maxInFlight).toBeGreaterThanOrEqual(5);
      expect(new Set(builds.map((e) => e.platform))).toEqual(new Set(["linux/amd64"]));

      const sums = outcome.model.execs.find((e) => e.argv[2]?.includes("hashlib") === true);
      const spec = JSON.parse(sums?.argv[3] as string) as { files: { name: string }[] };
      expect(spec.files.map((f) => f.name).sort()).toEqual(
        TARGETS.map((t) => `sample-usage-${t.triple}.${t.archive}`).sort(),
      );
    } finally {
      mod.engine.latencyMs = 0;
    }
  });
});
