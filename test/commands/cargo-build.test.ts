import { describe, expect, test } from "vitest";
import { cargoBuildCommand, rustupTargetCommand } from "../../src/commands/cargo-build.js";
import { findTarget } from "../../src/plan/targets.js";

describe("cargoBuildCommand", () => {
  test("zig targets get zigbuild with the glibc-suffixed build target on Linux", () => {
    expect(cargoBuildCommand(findTarget("aarch64-unknown-linux-gnu"), ["sample-usage"])).toEqual([
      "cargo",
      "zigbuild",
      "--release",
      "--locked",
      "--target",
      "aarch64-unknown-linux-gnu.2.17",
      "--bin",
      "sample-usage",
    ]);
    expect(cargoBuildCommand(findTarget("x86_64-apple-darwin"), ["sample-usage"])).toEqual([
      "cargo",
      "zigbuild",
      "--release",
      "--locked",
      "--target",
      "x86_64-apple-darwin",
      "--bin",
      "sample-usage",
    ]);
  });

  test("Windows gets cargo xwin with the plain triple, one --bin per binary", () => {
    expect(cargoBuildCommand(findTarget("x86_64-pc-windows-msvc"), ["a", "b"])).toEqual([
      "cargo",
      "xwin",
      "build",
      "--release",
      "--locked",
      "--target",
      "x86_64-pc-windows-msvc",
      "--bin",
      "a",
      "--bin",
      "b",
    ]);
  });

  test("an empty bin list is refused instead of building every target", () => {
    expect(() => cargoBuildCommand(findTarget("x86_64-unknown-linux-gnu"), [])).toThrow(
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
