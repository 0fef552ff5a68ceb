import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SOURCE_IGNORE } from "../../src/source-ignore.js";
import { ModuleUnderTest } from "../harness/dagger-call.js";
import type { FunctionSurface } from "../harness/surface.js";

/**
 * The CLI surface as the SDK's own scanner registers it with the engine (what `dagger call --help`
 * and `dagger functions` show). A renamed flag, a lost default or a missing doc line fails here.
 */
const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** One line per flag: `--name Type = default`, the way a reviewer reads a CLI. */
function flags(fn: Pick<FunctionSurface, "args">): string[] {
  return fn.args.map((a) => {
    const fallback =
      a.defaultValue !== undefined
        ? ` = ${JSON.stringify(a.defaultValue)}`
        : a.defaultPath !== undefined
          ? ` = ${a.defaultPath}`
          : "";
    return `--${kebab(a.name)} ${a.type}${fallback}`;
  });
}

describe("the module's CLI surface", () => {
  test("one object, RustRelease, documented, with --source defaulting to the sample project", async () => {
    const objects = await mod.surface();
    expect(objects.map((o) => o.name)).toEqual(["RustRelease"]);
    const main = objects[0];
    expect(main?.description).toMatch(/^Releases a Rust CLI with PyO3 bindings/);
    expect(flags({ args: main?.constructorArgs ?? [] })).toEqual([
      "--source Directory = /example",
      "--source-date-epoch Int?",
      "--cargo-package String?",
      "--targets [String]?",
      "--python-project String?",
      "--compile-cache Secret?",
      "--actions-results-url Secret?",
      "--actions-runtime-token Secret?",
    ]);
    // The scanner resolved the imported constant: the engine applies exactly these patterns.
    expect(main?.constructorArgs[0]?.ignore).toEqual(SOURCE_IGNORE);
  });

  test("every function, its flags, types, defaults, and a one-line description", async () => {
    const main = (await mod.surface())[0];
    const table = Object.fromEntries(
      (main?.functions ?? []).map((f) => [
        kebab(f.name),
        { returns: f.returnType, flags: flags(f) },
      ]),
    );
    expect(table).toEqual({
      plan: {
        returns: "String",
        flags: [
          "--tag String",
          "--sha String?",
          "--repository String?",
          "--image-name String?",
          "--latest-on-release Boolean = false",
          '--registry String = "ghcr.io"',
        ],
      },
      build: { returns: "Directory", flags: ["--target String?", "--tag String?"] },
      archive: { returns: "Directory", flags: ["--target String?", "--tag String?"] },
      "release-archives": { returns: "Directory", flags: ["--tag String?"] },
      image: {
        returns: "Container",
        flags: ["--platform String?", "--tag String?", "--sha String?", "--repository String?"],
      },
      "publish-image": {
        returns: "[String]",
        flags: [
          "--repository String",
          "--sha String",
          "--tag String?",
          "--registry-password Secret?",
          "--registry-username String?",
          "--image-name String?",
          "--latest-on-release Boolean = false",
          "--dry-run Boolean = false",
          '--registry String = "ghcr.io"',
        ],
      },
      wheels: { returns: "Directory", flags: ["--target String?", "--tag String?"] },
      sdist: { returns: "Directory", flags: ["--tag String?"] },
      source: { returns: "Directory", flags: ["--tag String"] },
      "python-dist": { returns: "Directory", flags: ["--tag String?"] },
      "publish-python": {
        returns: "String",
        flags: [
          "--tag String",
          "--oidc-request-url Secret?",
          "--oidc-request-token Secret?",
          "--test-pypi-token Secret?",
          "--pypi-token Secret?",
          "--skip-test-pypi Boolean = false",
          "--dry-run Boolean = false",
          "--pypi-url String?",
          "--test-pypi-url String?",
          "--skip-attestations Boolean = false",
          "--sigstore-trust-config File?",
        ],
      },
      release: {
        returns: "String",
        flags: [
          "--tag String",
          "--sha String?",
          "--repository String?",
          "--github-token Secret?",
          "--registry-password Secret?",
          "--registry-username String?",
          "--oidc-request-url Secret?",
          "--oidc-request-token Secret?",
          "--test-pypi-token Secret?",
          "--pypi-token Secret?",
          "--skip-github Boolean = false",
          "--skip-image Boolean = false",
          "--skip-pypi Boolean = false",
          "--skip-test-pypi Boolean = false",
          "--replace-changed-assets Boolean = false",
          "--image-name String?",
          "--latest-on-release Boolean = false",
          '--github-api-url String = "https://api.github.com"',
          "--pypi-url String?",
          "--test-pypi-url String?",
          "--dry-run Boolean = false",
          '--registry String = "ghcr.io"',
          "--rebuild Boolean = false",
          "--skip-attestations Boolean = false",
          "--sigstore-trust-config File?",
          '--report-format String = "text"',
        ],
      },
      verify: {
        returns: "String",
        flags: [
          "--tag String",
          "--repository String",
          "--github-token Secret?",
          '--github-api-url String = "https://api.github.com"',
          "--registry-username String?",
          "--registry-password Secret?",
          "--pypi-url String?",
          "--test-pypi-url String?",
          "--sigstore-trust-config File?",
        ],
      },
    });
    // Anything with side effects is never cached (functions are cached for 7 days by default).
    const uncached = (main?.functions ?? []).filter((f) => f.cachePolicy === "Never");
    expect(uncached.map((f) => kebab(f.name))).toEqual([
      "publish-image",
      "publish-python",
      "release",
      "verify",
    ]);
    for (const fn of main?.functions ?? []) {
      expect(fn.description, fn.name).not.toBe("");
      for (const arg of fn.args) expect(arg.description, `${fn.name} --${arg.name}`).not.toBe("");
    }
  });
});
