import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
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
    // Vitest's default is one worker per core minus one: on CI's two cores, one file at a time,
    // while most of a file's time is spent waiting on cargo, zig, maturin or the harness's
    // runtime process. Two files at once keep both cores busy (the shared caches they use,
    // zig's and uv's, lock their own entries; every scratch directory and port is per test).
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
