/**
 * Every flow src/index.ts calls, in one module that src/flows.ts imports on first use (the
 * types it expects are in src/flows.ts; test/module/flows-conformance.ts checks them).
 */
export { buildArchive, buildBinaries, buildPython, buildReleaseArchives } from "./build.js";
export { publishImages, singleImage } from "./image.js";
export { planJson } from "./plan.js";
export { publishPython } from "./python.js";
export { release } from "./release.js";
export { patchedSource } from "./source.js";
export { verifyRelease } from "./verify.js";
