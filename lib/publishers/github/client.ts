import type { GithubClient } from "./api.js";
import { GithubPublishError } from "./errors.js";
import { loadOctokit, type OctokitParts, type RateLimitHandler } from "./octokit-packages.js";

export interface GithubClientOptions {
  /** REST API root: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl: string;
  /** Called once, here; its value goes only into Octokit's Authorization header. */
  token: () => Promise<string>;
  /**
   * The unit of every wait, in milliseconds. Retries back off 1, 4, 9 units; rate-limit waits are
   * GitHub's seconds counted in units; writes are spaced 1 unit apart (3 after creating a release),
   * as GitHub asks of clients. Unset: 1000, the plugins' own pacing, except for an API on this
   * machine's loopback interface (a local stand-in, not GitHub): 1.
   */
  waitUnitMs?: number;
  /** Read public data without a token (`verify` of a published release). */
  anonymous?: boolean;
  /** Where warnings go (rate limits, fallbacks); default stderr. They never contain the token. */
  warn?: (message: string) => void;
}

const RATE_LIMIT_RETRIES = 3;

/** Whether an API root is on this machine's loopback interface, where GitHub's pacing is moot. */
function isLoopback(apiUrl: string): boolean {
  const host = URL.canParse(apiUrl) ? new URL(apiUrl).hostname : "";
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Octokit with GitHub's pacing: throttled writes, rate-limit waits and retries of 5xx answers. */
export async function createGithubClient(options: GithubClientOptions): Promise<GithubClient> {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const waitUnitMs = options.waitUnitMs ?? (isLoopback(options.apiUrl) ? 1 : undefined);
  const onLimit =
    (kind: string): RateLimitHandler =>
    (retryAfter, request, _, count) => {
      const retrying = count < RATE_LIMIT_RETRIES;
      warn(
        `GitHub ${kind} hit on ${request.method} ${request.url}: ` +
          (retrying
            ? `retrying after ${retryAfter}s (${count + 1}/${RATE_LIMIT_RETRIES})`
            : "giving up"),
      );
      return retrying;
    };
  const token = await options.token();
  if (token.trim() === "" && !options.anonymous) {
    throw new GithubPublishError("The GitHub token is empty.");
  }
  const octokit = await loadOctokit();
  return new octokit.ReleaseOctokit({
    ...(token.trim() === "" ? {} : { auth: token }),
    baseUrl: options.apiUrl.replace(/\/+$/, ""),
    userAgent: "rust-release-dagger-module",
    // Octokit logs every failed request as an error, expected 404s included (a draft is looked up
    // by tag first); failures that matter reach the caller as GithubPublishErrors instead.
    log: { debug: () => {}, info: () => {}, warn, error: () => {} },
    retry: waitUnitMs === undefined ? {} : { retryAfterBaseValue: waitUnitMs },
    throttle: {
      onRateLimit: onLimit("rate limit"),
      onSecondaryRateLimit: onLimit("secondary rate limit"),
      ...(waitUnitMs === undefined ? {} : scaledThrottle(octokit, waitUnitMs)),
    },
  });
}

/** The throttling plugin's write pacing (1 s, 3 s for notifying writes) in another unit. */
function scaledThrottle<Queue>({ QueueGroup }: OctokitParts<Queue>, waitUnitMs: number) {
  return {
    retryAfterBaseValue: waitUnitMs,
    write: new QueueGroup({ maxConcurrent: 1, minTime: waitUnitMs }),
    notifications: new QueueGroup({ maxConcurrent: 1, minTime: 3 * waitUnitMs }),
  };
}
