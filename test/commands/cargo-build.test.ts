import { describe, expect, test } from "vitest";
import {
  cargoBuildCommand,
  compileCommand,
  rustupTargetCommand,
  vendorCommand,
} from "../../lib/commands/cargo-build.js";
import { shellLine, shellQuote } from "../../lib/commands/shell.js";
import { findTarget } from "../../lib/plan/targets.js";
import { run } from "../example/tools.js";
import { targetRow } from "../support/plan.js";

describe("cargoBuildCommand", () => {
  test("zig targets get zigbuild with the glibc-suffixed build target on Linux", () => {
    expect(cargoBuildCommand(targetRow("aarch64-unknown-linux-gnu", ["sample-usage"]))).toEqual([
      "cargo",
      "zigbuild",
      "--release",
      "--frozen",
      "--target",
      "aarch64-unknown-linux-gnu.2.17",
      "--bin",
      "sample-usage",
    ]);
    expect(cargoBuildCommand(targetRow("x86_64-apple-darwin", ["sample-usage"]))).toEqual([
      "cargo",
      "zigbuild",
      "--release",
      "--frozen",
      "--target",
      "x86_64-apple-darwin",
      "--bin",
      "sample-usage",
    ]);
  });

  test("Windows gets cargo xwin with the plain triple, one --bin per binary", () => {
    expect(cargoBuildCommand(targetRow("x86_64-pc-windows-msvc", ["a", "b"]))).toEqual([
      "cargo",
      "xwin",
      "build",
      "--release",
      "--frozen",
      "--target",
      "x86_64-pc-windows-msvc",
      "--bin",
      "a",
      "--bin",
      "b",
    ]);
  });

  test("an empty bin list is refused instead of building every target", () => {
    expect(() => cargoBuildCommand(targetRow("x86_64-unknown-linux-gnu", []))).toThrow(
      "x86_64-unknown-linux-gnu: no binaries to build",
    );
  });
});

test("rustupTargetCommand adds the plain triple, never the glibc-suffixed build target", () => {
  expect(rustupTargetCommand(findTarget("x86_64-unknown-linux-gnu"))).toEqual([
    "rustup",
    "target",
    "add",
    "x86_64-unknown-linux-gnu",
  ]);
});

test("with the crate's pinned channel, that toolchain is installed with the target", () => {
  expect(rustupTargetCommand(findTarget("aarch64-apple-darwin"), "1.83.0")).toEqual([
    "rustup",
    "toolchain",
    "install",
    "1.83.0",
    "--profile",
    "minimal",
    "--target",
    "aarch64-apple-darwin",
  ]);
});

test("vendorCommand fetches every locked crate into <dir>/crates and keeps cargo's config", () => {
  expect(vendorCommand("/vendored")).toEqual([
    "sh",
    "-ec",
    "mkdir -p /vendored/crates\n" +
      "cargo vendor --locked --versioned-dirs /vendored/crates > /vendored/config.toml",
  ]);
});

test("compileCommand builds and copies out in one step, creating the output directory", () => {
  expect(
    compileCommand(targetRow("x86_64-pc-windows-msvc", ["a", "b"]), "/cargo-target", "/out"),
  ).toEqual([
    "sh",
    "-ec",
    "cargo xwin build --release --frozen --target x86_64-pc-windows-msvc --bin a --bin b\n" +
      "mkdir -p /out\n" +
      "cp /cargo-target/x86_64-pc-windows-msvc/release/a.exe " +
      "/cargo-target/x86_64-pc-windows-msvc/release/b.exe /out/",
  ]);
});

test("shell quoting keeps every word one word, whatever it holds", async () => {
  const words = ["plain", "with space", "it's", "$HOME", "a;b", "", "*"];
  expect(shellQuote("x86_64-apple-darwin.2.17")).toBe("x86_64-apple-darwin.2.17");
  const { stdout } = await run("sh", ["-c", `printf '%s\\n' ${shellLine(words)}`]);
  expect(stdout).toBe(`${words.join("\n")}\n`);
});
