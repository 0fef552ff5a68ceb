/**
 * Recognises the SDK's ExecError by shape: the engine's bundled SDK does not export the class,
 * so `instanceof` would compile here and fail under `dagger call`.
 */
export interface ExecErrorShape {
  name: "ExecError";
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function isExecError(error: unknown): error is ExecErrorShape {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "ExecError" &&
    typeof (error as { exitCode?: unknown }).exitCode === "number"
  );
}

/** How much of a failed command's output an error message carries. */
export const OUTPUT_LIMITS = { blockLines: 40, tailLines: 12, chars: 6_000 } as const;

// rustc/cargo (`error[E0308]:`, `error:`), maturin (`💥 maturin failed`), Python (`Traceback`).
const FIRST_ERROR = /^(error(\[[A-Z]?\d+\])?:|💥|Traceback \(most recent call last\))/;

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/**
 * The part of a failed command's output a person needs: the first error block (rustc's
 * `error[...]` with its source excerpt, maturin's failure, a traceback) and the last lines
 * (cargo's "could not compile", a script's own message), within a bounded size. The whole
 * output is in the engine's log; an error message that is only its tail loses the cause.
 */
export function summarizeOutput(output: string, limits = OUTPUT_LIMITS): string {
  const lines = output.replace(/\r\n/g, "\n").trimEnd().split("\n");
  const start = lines.findIndex((line) => FIRST_ERROR.test(line));
  const tailStart = Math.max(0, lines.length - limits.tailLines);
  if (start === -1 || start >= tailStart) {
    return clip(lines.slice(tailStart).join("\n").trim(), limits.chars);
  }
  const blankAfter = lines.findIndex((line, i) => i > start && line.trim() === "");
  const blockEnd = Math.min(
    blankAfter === -1 ? lines.length : blankAfter,
    start + limits.blockLines,
    tailStart,
  );
  const block = lines.slice(start, blockEnd);
  const skipped = tailStart - blockEnd;
  const parts = [
    ...block,
    ...(skipped > 0 ? [`[... ${skipped} more line(s) ...]`] : []),
    ...lines.slice(tailStart),
  ];
  return clip(parts.join("\n").trim(), limits.chars);
}

/** The summary of what a failed command printed: stderr, or stdout when stderr is empty. */
export function execOutputSummary(error: ExecErrorShape): string {
  return summarizeOutput(error.stderr.trim() ? error.stderr : error.stdout);
}

/**
 * Runs a step and turns a failed command into an error that says which step failed, with the
 * command's own explanation (see summarizeOutput). Without a label the message is only that
 * explanation: checks print one line that already names the target.
 */
export async function explainFailure<T>(run: () => Promise<T>, label?: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isExecError(error)) throw error;
    const summary = execOutputSummary(error) || `exit code ${error.exitCode}`;
    throw new Error(label ? `${label} failed (exit code ${error.exitCode}):\n${summary}` : summary);
  }
}

/**
 * Waits for every step, then fails with all of their failures, each under its label: several
 * targets built at once can fail at once, and a user fixing one should see them all.
 */
export async function settleAll<T>(
  steps: readonly { label: string; run: Promise<T> }[],
): Promise<T[]> {
  const results = await Promise.allSettled(steps.map((step) => step.run));
  const failures = results.flatMap((result, i) =>
    result.status === "rejected" ? [{ label: steps[i]?.label ?? "?", reason: result.reason }] : [],
  );
  if (failures.length === 0) {
    return results.map((result) => (result as PromiseFulfilledResult<T>).value);
  }
  if (failures.length === 1 && failures[0]) throw failures[0].reason;
  const messages = failures.map(({ label, reason }) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    return message.startsWith(label) ? message : `${label}: ${message}`;
  });
  throw new Error(
    `${failures.length} of ${steps.length} steps failed:\n\n${messages.join("\n\n")}`,
  );
}
