import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import Bottleneck from "bottleneck";
import { GithubPublishError } from "./github-errors.js";

const ReleaseOctokit = Octokit.plugin(retry, throttling);

export type GithubClient = InstanceType<typeof ReleaseOctokit>;

export interface GithubClientOptions {
  /** REST API root: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl: string;
  /** Called once, here; its value goes only into Octokit's Authorization header. */
  token: () => Promise<string>;
  /**
   * The unit of every wait, in milliseconds. Retries back off 1, 4, 9 units; rate-limit waits are
   * GitHub's seconds counted in units; writes are spaced 1 unit apart (3 after creating a release),
   * as GitHub asks of clients. Unset: 1000, the plugins' own pacing. Tests pass 1.
   */
  waitUnitMs?: number;
  /** Where warnings go (rate limits, fallbacks); default stderr. They never contain the token. */
  warn?: (message: string) => void;
}

const RATE_LIMIT_RETRIES = 3;

/** Octokit with GitHub's pacing: throttled writes, rate-limit waits and retries of 5xx answers. */
export async function createGithubClient(options: GithubClientOptions): Promise<GithubClient> {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const waitUnitMs = options.waitUnitMs;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _: unknown, count: number) => {
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
  if (token.trim() === "") throw new GithubPublishError("The GitHub token is empty.");
  return new ReleaseOctokit({
    auth: token,
    baseUrl: options.apiUrl.replace(/\/+$/, ""),
    userAgent: "rust-release-dagger-module",
    // Octokit logs every failed request as an error, expected 404s included (a draft is looked up
    // by tag first); failures that matter reach the caller as GithubPublishErrors instead.
    log: { debug: () => {}, info: () => {}, warn, error: () => {} },
    retry: waitUnitMs === undefined ? {} : { retryAfterBaseValue: waitUnitMs },
    throttle: {
      onRateLimit: onLimit("rate limit"),
      onSecondaryRateLimit: onLimit("secondary rate limit"),
      ...(waitUnitMs === undefined ? {} : scaledThrottle(waitUnitMs)),
    },
  });
}

/** The throttling plugin's write pacing (1 s, 3 s for notifying writes) in another unit. */
function scaledThrottle(waitUnitMs: number) {
  return {
    retryAfterBaseValue: waitUnitMs,
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: waitUnitMs }),
    notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 3 * waitUnitMs }),
  };
}
