import { githubFailure, httpStatus } from "./errors.js";
import type { GithubSession } from "./release-assets.js";

/**
 * The commit a tag points at on GitHub (annotated tags followed to their commit), or null when
 * the tag does not exist there yet.
 */
export async function tagCommit(session: GithubSession, tag: string): Promise<string | null> {
  const { client, repository } = session;
  try {
    const ref = (await client.rest.git.getRef({ ...repository, ref: `tags/${tag}` })).data;
    if (ref.object.type !== "tag") return ref.object.sha;
    const annotated = await client.rest.git.getTag({ ...repository, tag_sha: ref.object.sha });
    return annotated.data.object.sha;
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw githubFailure(error, `looking up the commit of tag ${tag}`, repository);
  }
}
