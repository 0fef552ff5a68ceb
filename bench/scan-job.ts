import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "../test/harness/module-files.js";
import { onInterrupt } from "./interrupt.js";

/** A module as the engine's runtime hands it to the SDK's scanner. */
export interface ScannedModule {
  label: string;
  /** The module name from dagger.json, as the runtime passes it to scan(). */
  name: string;
  files: string[];
}

export interface ScanJob {
  modules: ScannedModule[];
  /** Untimed scans of each module first, so that only warm scans are timed. */
  warmups: number;
  /** Timed scans of each module, the modules taking turns. */
  rounds: number;
}

/** Milliseconds of each timed scan (wall clock, and CPU time of the process), by module label. */
export type ScanTimes = Record<string, { wall: number[]; cpu: number[] }>;

const WORKER = fileURLToPath(new URL("./scan-worker.ts", import.meta.url));

/**
 * Runs a job in a fresh Node process. Its working directory is the repository's, as the
 * engine's is the module's: the scanner includes the `@types` found from there in every program.
 */
export function runScanJob(job: ScanJob): Promise<ScanTimes> {
  const worker = spawn(process.execPath, ["--import", "tsx", WORKER], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const stopOnInterrupt = onInterrupt(() => {
    worker.kill();
  });
  return new Promise<ScanTimes>((resolve, reject) => {
    let times: ScanTimes | null = null;
    worker.once("message", (message: ScanTimes) => {
      times = message;
    });
    worker.once("error", reject);
    worker.once("exit", (code, signal) => {
      stopOnInterrupt();
      if (times !== null) resolve(times);
      else reject(new Error(`the scan worker exited (${signal ?? code}) without timings`));
    });
    worker.send(job);
  });
}
