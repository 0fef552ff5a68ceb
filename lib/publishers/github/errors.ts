/** The repository a publisher works on, as Octokit's `{ owner, repo }` parameters. */
export interface RepositoryRef {
  owner: string;
  repo: string;
}

export function repositoryLabel(repository: RepositoryRef): string {
  return `${repository.owner}/${repository.repo}`;
}

/**
 * A GitHub Release could not be published or inspected. Its message says which step failed, what
 * GitHub answered and what to do; callers print it as is. It never contains the token.
 */
export class GithubPublishError extends Error {
  override name = "GithubPublishError";
}

/** The parts of Octokit's RequestError this module reads (recognised by shape, not by class). */
interface HttpFailure {
  status: number;
  message: string;
  response?: { data?: unknown; headers?: Record<string, string | undefined> };
}

function asHttpFailure(error: unknown): HttpFailure | null {
  if (error instanceof Error && "status" in error && typeof error.status === "number") {
    return error as Error & HttpFailure;
  }
  return null;
}

export function httpStatus(error: unknown): number | null {
  return asHttpFailure(error)?.status ?? null;
}

/** GitHub's validation error codes (`already_exists`, `invalid`, ...) of a 422 answer. */
export function validationCodes(error: unknown): string[] {
  const data = asHttpFailure(error)?.response?.data;
  if (typeof data !== "object" || data === null || !("errors" in data)) return [];
  const errors = (data as { errors: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry) =>
    typeof entry === "object" && entry !== null && typeof entry.code === "string"
      ? [entry.code]
      : [],
  );
}

function githubMessage(failure: HttpFailure): string {
  const data = failure.response?.data;
  if (typeof data === "object" && data !== null && "message" in data) {
    const message = String((data as { message: unknown }).message);
    const codes = validationCodes(failure);
    return codes.length > 0 ? `${message} (${codes.join(", ")})` : message;
  }
  return failure.message;
}

function isRateLimit(failure: HttpFailure): boolean {
  return (
    failure.status === 429 ||
    failure.response?.headers?.["x-ratelimit-remaining"] === "0" ||
    /rate limit/i.test(githubMessage(failure))
  );
}

function adviceFor(failure: HttpFailure, repository: RepositoryRef): string {
  const label = repositoryLabel(repository);
  if (isRateLimit(failure)) {
    return "GitHub's rate limit was still exceeded after waiting and retrying; re-run later.";
  }
  switch (failure.status) {
    case 401:
      return `The token was rejected: use a valid token with "contents: write" on ${label}.`;
    case 403:
      return (
        `The token may not write to ${label}: it needs "contents: write" ` +
        "(in a workflow: `permissions: contents: write`)."
      );
    case 404:
      return (
        `Check --repository (${label}) and that the token can access it ` +
        "(a fine-grained token must list this repository)."
      );
    default:
      if (failure.status >= 500) {
        return "GitHub kept failing after retries; re-run the release: finished steps are skipped.";
      }
      return "";
  }
}

/** Turns a failed GitHub request into an error naming the step, GitHub's answer and a remedy. */
export function githubFailure(
  error: unknown,
  step: string,
  repository: RepositoryRef,
): GithubPublishError {
  if (error instanceof GithubPublishError) return error;
  const failure = asHttpFailure(error);
  if (failure === null) {
    const reason = error instanceof Error ? error.message : String(error);
    return new GithubPublishError(`${step} failed: ${reason}`, { cause: error });
  }
  const advice = adviceFor(failure, repository);
  const answer = `GitHub answered HTTP ${failure.status}: ${githubMessage(failure)}.`;
  return new GithubPublishError(`${step} failed. ${answer}${advice ? ` ${advice}` : ""}`, {
    cause: error,
  });
}

/** Runs one GitHub request and turns its failure into a GithubPublishError about `step`. */
export async function githubStep<T>(
  step: string,
  repository: RepositoryRef,
  request: () => Promise<T>,
): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw githubFailure(error, step, repository);
  }
}
