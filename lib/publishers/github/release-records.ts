import type { Release } from "./api.js";
import { githubFailure, githubStep, httpStatus } from "./errors.js";
import type { GithubSession } from "./release-assets.js";

/**
 * The release for a tag, draft or published, or null. `getReleaseByTag` sees only published
 * releases, so drafts are searched by paging the release list (newest first).
 */
export async function findReleaseForTag(
  session: GithubSession,
  tag: string,
): Promise<Release | null> {
  const { client, repository, warn } = session;
  try {
    return (await client.rest.repos.getReleaseByTag({ ...repository, tag })).data;
  } catch (error) {
    if (httpStatus(error) !== 404) {
      throw githubFailure(error, `looking up the release for tag ${tag}`, repository);
    }
  }
  const drafts = await githubStep(`listing the releases to find ${tag}`, repository, () =>
    client.paginate(
      "GET /repos/{owner}/{repo}/releases",
      { ...repository, per_page: 100 },
      (page, done) => {
        const matches = page.data.filter((release) => release.tag_name === tag);
        if (matches.length > 0) done();
        return matches;
      },
    ),
  );
  const [oldest, ...others] = drafts.sort((a, b) => a.id - b.id);
  if (others.length > 0) {
    warn(
      `Several draft releases exist for ${tag} (ids ${drafts.map((d) => d.id).join(", ")}); ` +
        `continuing the oldest, ${oldest?.id}. Delete the others on GitHub.`,
    );
  }
  return oldest ?? null;
}

export interface DraftRequest {
  tag: string;
  /** The commit the tag will point at, when the tag does not exist yet. */
  commit: string | null;
  name: string;
  prerelease: boolean;
}

async function releaseNotes(session: GithubSession, draft: DraftRequest): Promise<string> {
  const { client, repository, warn } = session;
  try {
    const { data } = await client.rest.repos.generateReleaseNotes({
      ...repository,
      tag_name: draft.tag,
      ...(draft.commit === null ? {} : { target_commitish: draft.commit }),
    });
    return data.body;
  } catch (error) {
    // Notes are a courtesy: a release without them beats no release. Real permission problems
    // surface on the next request, which writes.
    const reason = githubFailure(error, "generating release notes", repository).message;
    warn(`${reason} Using a short body instead.`);
    return `Release ${draft.tag}.`;
  }
}

/**
 * Creates the release as a draft, so that it stays invisible (no tag, no events, still mutable)
 * until every asset is verified.
 */
export async function createDraftRelease(
  session: GithubSession,
  draft: DraftRequest,
): Promise<Release> {
  const { client, repository } = session;
  const body = await releaseNotes(session, draft);
  const create = (retries?: number) =>
    client.rest.repos.createRelease({
      ...repository,
      tag_name: draft.tag,
      ...(draft.commit === null ? {} : { target_commitish: draft.commit }),
      name: draft.name,
      body,
      draft: true,
      prerelease: draft.prerelease,
      ...(retries === undefined ? {} : { request: { retries } }),
    });
  const step = `creating the draft release ${draft.tag}`;
  try {
    // Not retried blindly: a 5xx does not say whether the draft was created, and GitHub accepts
    // several drafts for one tag.
    return (await create(0)).data;
  } catch (error) {
    if ((httpStatus(error) ?? 0) < 500) throw githubFailure(error, step, repository);
  }
  const created = await findReleaseForTag(session, draft.tag);
  return created ?? (await githubStep(step, repository, () => create())).data;
}

export interface PublishRequest {
  name: string;
  prerelease: boolean;
  makeLatest: "true" | "false";
}

/**
 * Publishes a verified draft: GitHub creates the tag now, and the release becomes immutable if
 * the repository enables immutable releases.
 */
export async function publishDraft(
  session: GithubSession,
  draft: Release,
  publish: PublishRequest,
): Promise<Release> {
  const { client, repository } = session;
  const { data } = await githubStep(`publishing release ${draft.tag_name}`, repository, () =>
    client.rest.repos.updateRelease({
      ...repository,
      release_id: draft.id,
      name: publish.name,
      draft: false,
      prerelease: publish.prerelease,
      make_latest: publish.prerelease ? "false" : publish.makeLatest,
    }),
  );
  return data;
}
