import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// After `dagger develop`, the SDK is the bundled `sdk/` (and may be gone from node_modules):
// resolve it the way tsconfig `paths` does for the module itself.
const bundledSdk = fileURLToPath(new URL("./sdk/index.ts", import.meta.url));

export default defineConfig({
  resolve: existsSync(bundledSdk) ? { alias: { "@dagger.io/dagger": bundledSdk } } : {},
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
