import { copyFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Every file the engine's runtime hands to the SDK for a module: each .ts/.mts under `dir`. */
export function listModuleFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return listModuleFiles(path);
      return /\.m?ts$/.test(entry) ? [path] : [];
    });
}

function sdkPackageDir(): string {
  const require = createRequire(join(REPO_ROOT, "package.json"));
  return dirname(require.resolve("@dagger.io/dagger"));
}

/**
 * The generated client the SDK's scanner needs beside the module files: the bundled one when
 * `dagger develop` wrote `sdk/`, else the npm package's declarations copied into `scratch`
 * under the name it expects.
 */
export function clientGenFile(scratch: string): string {
  const bundled = join(REPO_ROOT, "sdk", "client.gen.ts");
  if (existsSync(bundled)) return bundled;
  const copy = join(scratch, "client.gen.ts");
  copyFileSync(join(sdkPackageDir(), "api", "client.gen.d.ts"), copy);
  return copy;
}

/** The npm package's scanner, `scan(files, moduleName, loadModule)`, hidden by its exports map. */
export function introspectorUrl(): string {
  return pathToFileURL(join(sdkPackageDir(), "module", "introspector", "index.js")).href;
}
