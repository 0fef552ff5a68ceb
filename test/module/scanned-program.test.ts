import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";
import { clientGenFile, listModuleFiles, REPO_ROOT } from "../harness/module-files.js";
import { scratchDir } from "../support/projects.js";

const scratch = scratchDir("scanned-program");
afterAll(() => scratch.remove());

/**
 * The program the SDK's scanner builds on every invocation of the module: src/ and the generated
 * client, with the options of @dagger.io/dagger's introspector (typescript_module/ast.js).
 */
function scannedProgram(): ts.Program {
  return ts.createProgram(
    [...listModuleFiles(join(REPO_ROOT, "src")), clientGenFile(scratch.path)],
    {
      experimentalDecorators: true,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
    },
  );
}

/**
 * What the scan parses is what every invocation pays (`npm run bench`): Octokit's declarations
 * (GitHub's OpenAPI schema, three copies) made it several times slower than a one-function
 * module's, and then our own growing code did. So src/ holds only the functions and the types
 * they pass; lib/ (the flows, stages, plan and publishers) and Octokit are imported on first
 * use by specifiers TypeScript does not follow (src/flows.ts, lib/publishers/github/octokit-packages.ts).
 */
describe("the program the engine scans", () => {
  const files = scannedProgram()
    .getSourceFiles()
    .map((file) => file.fileName);
  const packages = new Set(
    files.flatMap((file) => file.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? []),
  );

  test("holds src/ and the SDK's declarations, and nothing of lib/", () => {
    expect(files).toContain(join(REPO_ROOT, "src/index.ts"));
    expect(files).toContain(join(REPO_ROOT, "src/flows.ts"));
    expect(packages).toContain("@dagger.io/dagger");
    expect(files.filter((file) => file.startsWith(join(REPO_ROOT, "lib")))).toEqual([]);
  });

  test("reads no declaration file of Octokit or Bottleneck", () => {
    const octokit = [...packages].filter((name) => /^(@octokit\/|bottleneck$)/.test(name));
    expect(octokit).toEqual([]);
  });

  // A new production dependency must not bring its weight into every scan either.
  test("reads, of the production dependencies, only TypeScript's libraries", () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    const dependencies = Object.keys(manifest.dependencies as Record<string, string>);
    expect(dependencies.filter((name) => packages.has(name)).sort()).toEqual(["typescript"]);
  });
});
