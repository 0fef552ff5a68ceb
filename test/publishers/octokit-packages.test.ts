import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { describe, expect, test } from "vitest";
import { loadOctokit } from "../../lib/publishers/github/octokit-packages.js";
import { octokitParts, ReleaseOctokit } from "./octokit-conformance.js";

// src/ imports these packages by specifiers TypeScript does not follow, so their types are ours;
// octokit-conformance.ts proves those against Octokit's for the classes compared here.
describe("loadOctokit", () => {
  test("loads @octokit/rest's Octokit with the retry and throttling plugins", async () => {
    const loaded = (await loadOctokit()).ReleaseOctokit as unknown as typeof ReleaseOctokit;
    expect(Object.getPrototypeOf(loaded)).toBe(Octokit);
    expect(loaded.plugins).toEqual(ReleaseOctokit.plugins);
    expect(loaded.plugins.slice(-2)).toEqual([retry, throttling]);
  });

  test("loads Bottleneck's Group for the throttling plugin's queues", async () => {
    expect((await loadOctokit()).QueueGroup).toBe(octokitParts.QueueGroup);
  });

  test("imports the packages once per process", async () => {
    expect(await loadOctokit()).toBe(await loadOctokit());
  });
});
