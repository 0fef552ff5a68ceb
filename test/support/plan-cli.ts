import { execFile } from "node:child_process";
import { REPO_ROOT } from "./projects.js";

/** `npm run plan -- <args>` exactly as README gives it; resolves with its exit code and output. */
export function npmRunPlan(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", "plan", "--", ...args],
      { cwd: REPO_ROOT },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
