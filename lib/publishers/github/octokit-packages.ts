/**
 * Octokit, its retry and throttling plugins, and Bottleneck, loaded on first use through
 * specifiers TypeScript does not follow, so that the engine's scan of src/ never reads their
 * declarations (see github-api.ts). `importParts` is the one unchecked seam between Octokit's
 * types and ours: test/publishers/octokit-conformance.ts proves the classes it returns have these
 * types, and octokit-packages.test.ts that it returns those classes.
 */
import type { GithubClient } from "./api.js";

declare const opaque: unique symbol;

/** A Bottleneck.Group: made by `QueueGroup`, handed to the throttling plugin, never looked into. */
export interface ThrottleQueue {
  readonly [opaque]: "Bottleneck.Group";
}

/** Called when GitHub rate-limits a request; true retries it after `retryAfter` seconds. */
export type RateLimitHandler = (
  retryAfter: number,
  request: { method: string; url: string },
  octokit: unknown,
  retryCount: number,
) => boolean;

/** The constructor options this module passes, the plugins' `retry` and `throttle` included. */
export interface OctokitOptions<Queue> {
  auth?: string;
  baseUrl: string;
  userAgent: string;
  log: Record<"debug" | "info" | "warn" | "error", (message: string) => void>;
  retry: { retryAfterBaseValue?: number };
  throttle: {
    onRateLimit: RateLimitHandler;
    onSecondaryRateLimit: RateLimitHandler;
    retryAfterBaseValue?: number;
    /** Spaces writes (POST, PATCH, PUT, DELETE). */
    write?: Queue;
    /** Spaces writes that notify people, such as creating a release. */
    notifications?: Queue;
  };
}

export interface OctokitParts<Queue> {
  /** `Octokit.plugin(retry, throttling)` of @octokit/rest. */
  ReleaseOctokit: new (
    options: OctokitOptions<Queue>,
  ) => GithubClient;
  /** `Bottleneck.Group`: the throttling plugin's queues. */
  QueueGroup: new (options: {
    maxConcurrent: number;
    minTime: number;
  }) => Queue;
}

// A specifier held in a variable is one TypeScript leaves alone (the import is typed `any`);
// Node resolves it from this file at run time exactly like a literal one.
const PACKAGES = [
  "@octokit/rest",
  "@octokit/plugin-retry",
  "@octokit/plugin-throttling",
  "bottleneck",
];

async function importParts(): Promise<OctokitParts<ThrottleQueue>> {
  const [rest, retry, throttling, bottleneck] = await Promise.all(
    PACKAGES.map((specifier) => import(specifier)),
  );
  return {
    ReleaseOctokit: rest.Octokit.plugin(retry.retry, throttling.throttling),
    // Bottleneck is CommonJS: its module.exports is the default export.
    QueueGroup: bottleneck.default.Group,
  };
}

let parts: Promise<OctokitParts<ThrottleQueue>> | undefined;

/** The Octokit classes, imported once per process (the first GitHub request of a call). */
export function loadOctokit(): Promise<OctokitParts<ThrottleQueue>> {
  parts ??= importParts();
  return parts;
}
