/**
 * A problem with the caller's input or project that stops the release before any work is done.
 * Its message names the offending value and says what to do; callers print it as is.
 */
export class PlanError extends Error {
  override name = "PlanError";
}
