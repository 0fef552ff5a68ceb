import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { clientGenFile, REPO_ROOT } from "../test/harness/module-files.js";
import type { ScannedModule } from "./scan-job.js";

const SOURCE = `import { func, object } from "@dagger.io/dagger";

/** The smallest useful module: the baseline every module pays for. */
@object()
export class Minimal {
  /** Greets someone. */
  @func()
  hello(name: string): string {
    return \`Hello, \${name}!\`;
  }
}
`;

/**
 * Writes a one-function module into `dir`, seeing the same packages as ours (its node_modules
 * is a link to the repository's), so that the two scans differ only by what the module imports.
 */
export function writeMinimalModule(dir: string): ScannedModule {
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "index.ts"), SOURCE);
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return {
    label: "minimal",
    name: "minimal",
    files: [join(dir, "src", "index.ts"), clientGenFile(dir)],
  };
}
