import { performance } from "node:perf_hooks";
import { ModuleUnderTest } from "../test/harness/dagger-call.js";
import { builtAndUploaded, PUBLISHER, ReleaseServices } from "../test/support/release-scenario.js";
import { onInterrupt } from "./interrupt.js";

export interface ReleaseTimes {
  /** A first release that publishes everything: build, check, stage, publish. */
  full: number;
  /** Its re-run after PyPI failed, on a fresh engine: download, verify, publish the rest. */
  resume: number;
}

async function timed(run: () => Promise<{ error?: string }>): Promise<number> {
  const start = performance.now();
  const outcome = await run();
  if (outcome.error !== undefined) throw new Error(`release failed:\n${outcome.error}`);
  return performance.now() - start;
}

/**
 * `dagger call release` through the harness against the local service fakes: a complete first
 * release, and the resume of one whose PyPI step failed, each on a fresh engine (nothing cached).
 */
export async function timeRelease(): Promise<ReleaseTimes> {
  const mod = new ModuleUnderTest();
  const services: ReleaseServices[] = [];
  const forget = onInterrupt(async () => {
    await mod.stop();
    await Promise.all(services.map((s) => s.stop()));
  });
  try {
    await mod.start();
    const complete = await new ReleaseServices().start();
    services.push(complete);
    const full = await timed(() =>
      mod.call("release", complete.args(), { answers: builtAndUploaded(complete) }),
    );

    const failing = await new ReleaseServices({ pypiPublishers: [] }).start();
    services.push(failing);
    await mod.call("release", failing.args(), { answers: builtAndUploaded(failing) });
    failing.pypi.publishers.push(PUBLISHER);
    const resume = await timed(() =>
      mod.call("release", failing.args(), { answers: builtAndUploaded(failing) }),
    );
    return { full, resume };
  } finally {
    await mod.stop();
    await Promise.all(services.map((s) => s.stop()));
    forget();
  }
}
