import type { ReleaseArtifacts, ReleaseRun } from "../release-run.js";

/** Why a destination does nothing in this run. */
export interface Skip {
  outcome: "skipped" | "not applicable" | "already there";
  reason: string;
  /** What is already there, when that is the reason (each reported with its detail). */
  artifacts?: { name: string; detail: string }[];
}

/**
 * One place a release goes to. The dry run, the real run, a resume and --skip-* walk the same
 * list (see walkDestinations); each entry says why it is skipped, what it would do, and does it.
 */
export interface Destination {
  /** Its short name, for messages about it ("Image failed first"). */
  name: string;
  /** How the report names it. */
  label(run: ReleaseRun): string;
  /** Why it does nothing this run (a flag, not applicable, already done); null when it runs. */
  skip(run: ReleaseRun): Skip | null;
  /** A dry run: what it would do, into the report. */
  preview(run: ReleaseRun, artifacts: ReleaseArtifacts): void;
  /** Does it, reporting every artifact; throws when it fails. */
  publish(run: ReleaseRun, artifacts: ReleaseArtifacts): Promise<void>;
  /** What the report says when an earlier destination failed (default: "<it> failed first"). */
  stopped?(failed: string): string;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
