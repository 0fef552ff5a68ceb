import { describe, expect, test } from "vitest";
import { PlanError } from "../../lib/plan/errors.js";
import { parseTag } from "../../lib/plan/version.js";

describe("parseTag", () => {
  test.each([
    ["v0.1.5", "0.1.5", "0.1.5", false, [0, 1, 5]],
    ["v1.0.0", "1.0.0", "1.0.0", false, [1, 0, 0]],
    ["v10.20.30", "10.20.30", "10.20.30", false, [10, 20, 30]],
    ["v1.0.0-rc.1", "1.0.0-rc.1", "1.0.0rc1", true, [1, 0, 0]],
    ["v1.0.0-rc1", "1.0.0-rc1", "1.0.0rc1", true, [1, 0, 0]],
    ["v1.0.0-rc", "1.0.0-rc", "1.0.0rc0", true, [1, 0, 0]],
    ["v2.3.4-alpha.2", "2.3.4-alpha.2", "2.3.4a2", true, [2, 3, 4]],
    ["v2.3.4-a.2", "2.3.4-a.2", "2.3.4a2", true, [2, 3, 4]],
    ["v2.3.4-beta.10", "2.3.4-beta.10", "2.3.4b10", true, [2, 3, 4]],
    ["v2.3.4-b.3", "2.3.4-b.3", "2.3.4b3", true, [2, 3, 4]],
    ["v2.3.4-dev.7", "2.3.4-dev.7", "2.3.4.dev7", true, [2, 3, 4]],
    ["v0.0.1-preview.2", "0.0.1-preview.2", "0.0.1rc2", true, [0, 0, 1]],
  ] as const)(
    "%s -> cargo %s, PEP 440 %s",
    (tag, cargo, pep440, prerelease, [major, minor, patch]) => {
      expect(parseTag(tag)).toEqual({ tag, cargo, pep440, prerelease, major, minor, patch });
    },
  );

  test.each([
    ["", "the tag is empty"],
    ["1.2.3", 'it must start with "v"'],
    ["V1.2.3", 'it must start with "v"'],
    ["v1.2", "it has 2 version number(s) where three are required"],
    ["v1.2.3.4", "it has 4 version number(s) where three are required"],
    ["v01.2.3", "numbers must not have leading zeros"],
    ["v1.02.3", "numbers must not have leading zeros"],
    ["v1.2.3+build.5", "build metadata (+...) is not allowed, because PyPI refuses local versions"],
    ["v1.2.3-rc.1+sha", "build metadata (+...) is not allowed"],
    ["v1.2.3-rc.01", "numbers must not have leading zeros"],
    ["v1.2.3-", "it is not a valid semantic version"],
    [" v1.2.3", "leading or trailing whitespace"],
    ["v1.2.3-nightly.1", 'the prerelease "nightly.1" has no PEP 440 equivalent'],
    ["v1.2.3-rc.1.2", 'the prerelease "rc.1.2" has no PEP 440 equivalent'],
    ["vx.y.z", "not a valid semantic version"],
  ])("rejects %j", (tag, reason) => {
    let error: unknown;
    try {
      parseTag(tag);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanError);
    const message = (error as Error).message;
    expect(message).toContain(`invalid tag "${tag}"`);
    expect(message).toContain(reason);
    expect(message).toContain("Expected vMAJOR.MINOR.PATCH with an optional prerelease");
  });
});
