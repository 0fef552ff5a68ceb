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

/**
 * Runs a check whose command explains its own failure, and turns that failure into an error
 * carrying the command's message instead of the raw engine error.
 */
export async function explainFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isExecError(error)) {
      const message = (error.stderr.trim() || error.stdout.trim()).split("\n").slice(-5).join("\n");
      throw new Error(message || `a check failed with exit code ${error.exitCode}`);
    }
    throw error;
  }
}
