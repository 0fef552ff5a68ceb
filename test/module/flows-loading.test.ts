import { describe, expect, test } from "vitest";
import * as lib from "../../lib/flows/index.js";
import { flows } from "../../src/flows.js";

/**
 * src/flows.ts imports lib/flows/index.ts by a specifier TypeScript does not follow, so only a
 * run proves the path (flows-conformance.ts proves the types).
 */
describe("flows(), the one way from src/ into lib/", () => {
  test("imports lib/flows/index.ts: the same functions, once", async () => {
    const loaded = await flows();
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(lib).sort());
    for (const [name, flow] of Object.entries(lib)) {
      expect(loaded[name as keyof typeof loaded], name).toBe(flow);
    }
    expect(await flows()).toBe(loaded);
  });
});
