import { execFile } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  /** Replaces the whole environment, as in `execFile`; spread `process.env` to extend it. */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  /** The command is killed after this long; 0 means no limit. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

// Keeps failure messages readable when a build floods its output.
const MAX_REPORTED_CHARS = 8_000;

function tail(text: string): string {
  return text.length > MAX_REPORTED_CHARS
    ? `[...${text.length - MAX_REPORTED_CHARS} chars cut...]\n${text.slice(-MAX_REPORTED_CHARS)}`
    : text;
}

/**
 * Runs a command without a shell and resolves with its output once it exits with 0; rejects
 * with an error that names the command and carries its stderr and stdout otherwise.
 */
export function run(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeoutMs ?? 0,
        // Cargo and pip are chatty; the default 1 MiB would kill them mid-build.
        maxBuffer: 256 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        const status = typeof error.code === "number" ? `exit code ${error.code}` : error.message;
        const how =
          error.killed || error.signal
            ? `was killed by ${error.signal ?? "a signal"}`
            : `failed (${status})`;
        const where = opts.cwd === undefined ? "" : ` in ${opts.cwd}`;
        reject(
          new Error(
            `${[cmd, ...args].join(" ")}${where} ${how}\n` +
              `--- stderr ---\n${tail(stderr)}\n--- stdout ---\n${tail(stdout)}`,
            { cause: error },
          ),
        );
      },
    );
    // A command may exit without reading its input; its exit status tells what went wrong,
    // whereas an unhandled EPIPE here would crash the test worker.
    child.stdin?.on("error", () => {});
    // Without this, a command that reads stdin would wait forever on the open pipe.
    child.stdin?.end(opts.input ?? "");
  });
}
