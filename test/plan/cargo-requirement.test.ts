import { describe, expect, test } from "vitest";
import {
  followRequirement,
  RequirementRefusal,
  requirementMatches,
} from "../../lib/plan/cargo-requirement.js";

/**
 * cargo's own cases for `upgrade_requirement` (rust-lang/cargo
 * src/cargo/util/toml_mut/upgrade.rs, from cargo-edit): [new version, requirement, rewritten or
 * null when it stays]. None of them is a prerelease.
 */
const CARGO_CASES: [string, string, string | null][] = [
  ["1.0.0", "*", null],
  ["1.0.0", "1.*", null],
  ["1.1.0", "1.*", null],
  ["2.0.0", "1.*", "2.*"],
  ["1.0.0", "1.0.*", null],
  ["1.1.0", "1.0.*", "1.1.*"],
  ["1.1.1", "1.0.*", "1.1.*"],
  ["2.0.0", "1.0.*", "2.0.*"],
  ["1.0.0", "1", null],
  ["1.0.0", "^1", null],
  ["1.1.0", "1", null],
  ["1.1.0", "^1", null],
  ["2.0.0", "1", "2"],
  ["2.0.0", "^1", "^2"],
  ["1.0.0", "1.0", null],
  ["1.0.0", "^1.0", null],
  ["1.1.0", "1.0", "1.1"],
  ["1.1.0", "^1.0", "^1.1"],
  ["1.1.1", "1.0", "1.1"],
  ["1.1.1", "^1.0", "^1.1"],
  ["2.0.0", "1.0", "2.0"],
  ["2.0.0", "^1.0", "^2.0"],
  ["1.0.0", "1.0.0", null],
  ["1.0.0", "^1.0.0", null],
  ["1.1.0", "1.0.0", "1.1.0"],
  ["1.1.0", "^1.0.0", "^1.1.0"],
  ["1.1.1", "1.0.0", "1.1.1"],
  ["1.1.1", "^1.0.0", "^1.1.1"],
  ["2.0.0", "1.0.0", "2.0.0"],
  ["2.0.0", "^1.0.0", "^2.0.0"],
  ["1.0.0", "~1", null],
  ["1.1.0", "~1", null],
  ["2.0.0", "~1", "~2"],
  ["1.0.0", "~1.0", null],
  ["1.1.0", "~1.0", "~1.1"],
  ["1.1.1", "~1.0", "~1.1"],
  ["2.0.0", "~1.0", "~2.0"],
  ["1.0.0", "~1.0.0", null],
  ["1.1.0", "~1.0.0", "~1.1.0"],
  ["1.1.1", "~1.0.0", "~1.1.1"],
  ["2.0.0", "~1.0.0", "~2.0.0"],
  ["1.0.0", "=1", null],
  ["1.1.0", "=1", null],
  ["2.0.0", "=1", "=2"],
  ["1.0.0", "=1.0", null],
  ["1.1.0", "=1.0", "=1.1"],
  ["1.1.1", "=1.0", "=1.1"],
  ["2.0.0", "=1.0", "=2.0"],
  ["1.0.0", "=1.0.0", null],
  ["1.1.0", "=1.0.0", "=1.1.0"],
  ["1.1.1", "=1.0.0", "=1.1.1"],
  ["2.0.0", "=1.0.0", "=2.0.0"],
];

describe("followRequirement: cargo's upgrade_requirement, in place", () => {
  test.each(CARGO_CASES)("%s: %j -> %j", (version, requirement, expected) => {
    expect(followRequirement(requirement, version)).toBe(expected);
  });

  test.each([
    // A prerelease does not fit a partial version: the full one takes the operator's place,
    // and `=` and `~` are kept (cargo falls back to a caret; they match as well).
    ["1.30.0-rc1", "1.2", "1.30.0-rc1"],
    ["1.30.0-rc1", "~1.2", "~1.30.0-rc1"],
    ["1.30.0-rc1", "=1.2.3", "=1.30.0-rc1"],
    ["0.5.0-rc.1", "^0.4", "^0.5.0-rc.1"],
    ["0.5.0-rc.1", "0.4.14", "0.5.0-rc.1"],
    // The user's spacing and range comparators stay.
    ["0.5.0", "= 0.4.14", "= 0.5.0"],
    ["0.5.0", " ^0.4.14 ", " ^0.5.0 "],
    ["0.5.0", "0.4.14, <1", "0.5.0, <1"],
    // A range that still accepts the version is left as written.
    ["0.5.0", ">=0.4", null],
  ])("%s: %j -> %j", (version, requirement, expected) => {
    expect(followRequirement(requirement, version)).toBe(expected);
  });

  test.each([
    ["0.5.0", ">=0.4.14, <0.5", "does not accept 0.5.0 and has no single operator to keep"],
    ["1.0.0-rc.1", "*", "does not accept the prerelease 1.0.0-rc.1"],
    ["1.0.0-rc.1", "0.*", "does not accept 1.0.0-rc.1"],
    ["0.5.0", "latest", "is not a cargo version requirement"],
    ["0.5.0", "^1.*", "is not a cargo version requirement"],
  ])("%s: %j is refused: %s", (version, requirement, why) => {
    expect(() => followRequirement(requirement, version)).toThrow(RequirementRefusal);
    expect(() => followRequirement(requirement, version)).toThrow(why);
  });

  test("matching reads a bare requirement as cargo does (a caret), prereleases only by name", () => {
    expect(requirementMatches("1.2", "1.9.0")).toBe(true);
    expect(requirementMatches("=1.2", "1.2.7")).toBe(true);
    expect(requirementMatches("=1.2", "1.3.0")).toBe(false);
    expect(requirementMatches("^0.4", "0.5.0")).toBe(false);
    expect(requirementMatches("^1.30", "1.30.0-rc1")).toBe(false);
    expect(requirementMatches("^1.30.0-rc1", "1.30.0-rc1")).toBe(true);
    expect(requirementMatches("0.4.14, <1", "0.5.0")).toBe(false);
    expect(requirementMatches("0.5.0, <1", "0.5.0")).toBe(true);
  });
});
