/**
 * src/ knows Octokit only by the narrow types of lib/publishers/github/api.ts and
 * octokit-packages.ts, which keep its declarations out of the engine's scan. This file proves
 * them against Octokit's own: it is compiled by the type-check of `npm test` (`tsc --noEmit -p .`)
 * and fails it if Octokit would reject an option or parameter src/ passes, or answers without a
 * field src/ reads. octokit-packages.test.ts checks that loadOctokit returns these classes.
 */
import type { RetryOptions } from "@octokit/plugin-retry";
import { retry } from "@octokit/plugin-retry";
import type { ThrottlingOptions } from "@octokit/plugin-throttling";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit, type RestEndpointMethodTypes } from "@octokit/rest";
import Bottleneck from "bottleneck";
import type { GithubClient, PagedLists, Release } from "../../lib/publishers/github/api.js";
import type { OctokitOptions, OctokitParts } from "../../lib/publishers/github/octokit-packages.js";

export const ReleaseOctokit = Octokit.plugin(retry, throttling);
type RealClient = InstanceType<typeof ReleaseOctokit>;

/** Every constructor option, endpoint parameter and answer field, except paginate's (below). */
export const octokitParts: OctokitParts<Bottleneck.Group> = {
  ReleaseOctokit,
  QueueGroup: Bottleneck.Group,
};

/** True when A is assignable to B. */
type Assignable<A, B> = [A] extends [B] ? true : false;

/** The named keys of T, without its index signatures. */
type NamedKeys<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K];
};

/** Keys of ours that Octokit's type does not name: optional ones pass assignability unseen. */
type UnknownKeys<Ours, Theirs> = Exclude<keyof Ours, NamedKeys<Theirs>>;

/** The parameter and answer keys of one endpoint method that Octokit's does not name. */
type UnknownEndpointKeys<Ours, Theirs> = Ours extends (
  params: infer Params,
) => Promise<{ data: infer Data }>
  ? Theirs extends { parameters: infer TheirParams; response: { data: infer TheirData } }
    ? UnknownKeys<Params, TheirParams> | UnknownKeys<Data, TheirData>
    : "not an Octokit endpoint method"
  : "not an endpoint method";

/** Those of every method of a group, or the name of a method Octokit does not have. */
type UnknownGroupKeys<Group extends keyof GithubClient["rest"]> = {
  [Method in keyof GithubClient["rest"][Group]]: Method extends keyof RestEndpointMethodTypes[Group]
    ? UnknownEndpointKeys<
        GithubClient["rest"][Group][Method],
        RestEndpointMethodTypes[Group][Method]
      >
    : Method;
}[keyof GithubClient["rest"][Group]];

type Options = OctokitOptions<Bottleneck.Group>;
const _namedAsOctokitNamesThem: Assignable<
  | UnknownGroupKeys<"repos">
  | UnknownGroupKeys<"git">
  | UnknownKeys<Options["retry"], RetryOptions>
  | UnknownKeys<Options["throttle"], ThrottlingOptions>,
  never
> = true;

/**
 * `paginate` has an overload for any route, so assigning it proves nothing: each list is paged
 * here as src/ pages it. Unannotated results keep an unknown route from passing as `unknown[]`.
 */
const _pagedAsDeclared = {
  "GET /repos/{owner}/{repo}/releases": async (client, params, map) => {
    const all = await client.paginate("GET /repos/{owner}/{repo}/releases", params);
    const mapped = await client.paginate("GET /repos/{owner}/{repo}/releases", params, map);
    return [all, mapped];
  },
  "GET /repos/{owner}/{repo}/releases/{release_id}/assets": async (client, params, map) => {
    const route = "GET /repos/{owner}/{repo}/releases/{release_id}/assets";
    const all = await client.paginate(route, params);
    const mapped = await client.paginate(route, params, map);
    return [all, mapped];
  },
} satisfies {
  [Route in keyof PagedLists]: (
    client: RealClient,
    params: PagedLists[Route]["params"],
    map: (
      page: { data: PagedLists[Route]["item"][] },
      done: () => void,
    ) => PagedLists[Route]["item"][],
  ) => Promise<[PagedLists[Route]["item"][], PagedLists[Route]["item"][]]>;
};

type ClientClass<Client> = new (options: Options) => Client;
type WithGetReleaseByTag<Params, Data> = Omit<GithubClient, "rest"> & {
  rest: { repos: { getReleaseByTag: (params: Params) => Promise<{ data: Data }> } };
};

// The checks have teeth: a parameter typed unlike Octokit's, or a field its releases lack, fails.
const _tagAsNumberFails: Assignable<
  typeof ReleaseOctokit,
  ClientClass<WithGetReleaseByTag<{ owner: string; repo: string; tag: number }, Release>>
> = false;
const _unknownReleaseFieldFails: Assignable<
  typeof ReleaseOctokit,
  ClientClass<
    WithGetReleaseByTag<{ owner: string; repo: string; tag: string }, Release & { notes: string }>
  >
> = false;
