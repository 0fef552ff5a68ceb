import { performance } from "node:perf_hooks";
import { ModuleUnderTest } from "../test/harness/dagger-call.js";
import { onInterrupt } from "./interrupt.js";

/**
 * Milliseconds from starting the harness to holding `dagger call plan`'s JSON: the runtime
 * process starts, registers the module (one scan; the harness caches it for the constructor and
 * the function call) and serves the two calls. Stopping the harness is not counted.
 */
export async function timePlan(): Promise<number> {
  const mod = new ModuleUnderTest();
  const forget = onInterrupt(() => mod.stop());
  const start = performance.now();
  try {
    await mod.start();
    const outcome = await mod.call("plan", {
      tag: "v0.1.5",
      sha: "0123456789abcdef0123456789abcdef01234567",
      repository: "octo/sample-usage",
    });
    if (outcome.error !== undefined) throw new Error(`plan failed: ${outcome.error}`);
    return performance.now() - start;
  } finally {
    await mod.stop();
    forget();
  }
}
