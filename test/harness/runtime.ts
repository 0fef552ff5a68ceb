/**
 * The module's runtime, as the engine's TypeScript runtime container runs it: the SDK's
 * `entrypoint` over every file of `src/` plus the generated client. It serves one function call
 * per message, against the session the message names.
 *
 * `@dagger.io/dagger` resolves exactly as under `dagger call`: through tsconfig `paths` to the
 * bundled `sdk/` when `dagger develop` wrote one, else to the npm package.
 */
import { register } from "node:module";

register("./scan-cache-hook.mjs", import.meta.url);
register("./count-hook.mjs", import.meta.url);
// Imported after the hook is in place, so the SDK's scanner goes through it.
const { entrypoint } = await import("@dagger.io/dagger");

interface CallMessage {
  port: number;
  token: string;
  files: string[];
  /** How long the scan blocks the event loop in this call (see scan-cache-hook.mjs). */
  scanPauseMs?: number;
}

class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

// entrypoint() exits the process after reporting a function's error; here the process serves
// more calls, so the exit is turned into a signal that ends only this call.
process.exit = ((code?: number) => {
  throw new ExitSignal(code ?? 0);
}) as typeof process.exit;

process.on("message", (message: CallMessage) => {
  process.env.DAGGER_SESSION_PORT = String(message.port);
  process.env.DAGGER_SESSION_TOKEN = message.token;
  (globalThis as { __harnessScanPauseMs?: number }).__harnessScanPauseMs = message.scanPauseMs ?? 0;
  // Calls of the functions count-hook.mjs counts, during this call only.
  const state = globalThis as { __harnessCounts?: Record<string, number> };
  state.__harnessCounts = {};
  const counts = () => ({ ...state.__harnessCounts });
  entrypoint(message.files).then(
    () => process.send?.({ exitCode: 0, counts: counts() }),
    (error: unknown) =>
      process.send?.(
        error instanceof ExitSignal
          ? { exitCode: error.code, counts: counts() }
          : {
              exitCode: 1,
              counts: counts(),
              crash: error instanceof Error ? (error.stack ?? error.message) : String(error),
            },
      ),
  );
});

process.send?.({ ready: true });
