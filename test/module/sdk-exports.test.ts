import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "../support/projects.js";

/**
 * Under `dagger call` the module gets the engine's bundled SDK, whose index exports only the
 * generated client and these names (dagger-typescript.md). Anything else the npm package has
 * (ExecError, the error classes, `up`, ...) compiles here and then fails inside the engine.
 */
const BUNDLED_CORE = [
  "connection",
  "connect",
  "Context",
  "func",
  "check",
  "generate",
  "argument",
  "object",
  "field",
  "enumType",
  "entrypoint",
];

function clientGenExports(): Set<string> {
  const require = createRequire(join(REPO_ROOT, "package.json"));
  const sdk = dirname(require.resolve("@dagger.io/dagger"));
  const text = readFileSync(join(sdk, "api", "client.gen.d.ts"), "utf8");
  const names = [
    ...text.matchAll(/^export (?:declare )?(?:class|type|enum|const|function) (\w+)/gm),
  ].map((m) => m[1] as string);
  return new Set(names);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function sdkImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"@dagger\.io\/dagger"/g)]
    .flatMap((m) => (m[1] ?? "").split(","))
    .map((name) => name.replace(/^\s*type\s+/, "").trim())
    .filter(Boolean);
}

describe("the module uses only what the engine's bundled SDK exports", () => {
  const allowed = new Set([...BUNDLED_CORE, ...clientGenExports()]);

  test("the generated client is where the core types come from", () => {
    for (const name of ["dag", "Container", "Directory", "File", "Secret", "ReturnType"]) {
      expect(allowed).toContain(name);
    }
    // The kind of name this guards against: present in the npm package only.
    expect(allowed).not.toContain("ExecError");
  });

  // lib/ runs in the engine too, imported on a function's first use.
  const moduleFiles = [
    ...sourceFiles(join(REPO_ROOT, "src")),
    ...sourceFiles(join(REPO_ROOT, "lib")),
  ];

  test("covers src/ and lib/", () => {
    expect(moduleFiles).toContain(join(REPO_ROOT, "lib", "flows", "release.ts"));
  });

  test.each(moduleFiles.map((f) => [f.slice(REPO_ROOT.length + 1), f]))("%s", (_name, file) => {
    for (const imported of sdkImports(file)) {
      expect(allowed, `${imported} is not in the bundled SDK`).toContain(imported);
    }
  });
});
