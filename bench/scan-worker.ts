/**
 * A benchmark process (see scan-job.ts): times the SDK's own scan() of the modules it is sent,
 * exactly as the engine's runtime calls it before serving a function, and sends the timings back.
 */
import { performance } from "node:perf_hooks";
import { introspectorUrl } from "../test/harness/module-files.js";
import type { ScanJob, ScanTimes } from "./scan-job.js";

type Scan = (files: string[], moduleName: string, loadModule: boolean) => Promise<unknown>;

process.once("message", async (job: ScanJob) => {
  // Imported before the clock starts: loading the SDK and TypeScript costs every module alike.
  const { scan } = (await import(introspectorUrl())) as { scan: Scan };
  for (let warmup = 0; warmup < job.warmups; warmup++) {
    for (const module of job.modules) await scan(module.files, module.name, false);
  }
  const times: ScanTimes = Object.fromEntries(
    job.modules.map((module) => [module.label, { wall: [], cpu: [] }]),
  );
  for (let round = 0; round < job.rounds; round++) {
    for (const module of job.modules) {
      // CPU time beside the wall clock: on a busy machine it moves far less with the load.
      const cpu = process.cpuUsage();
      const start = performance.now();
      await scan(module.files, module.name, false);
      const used = process.cpuUsage(cpu);
      times[module.label]?.wall.push(performance.now() - start);
      times[module.label]?.cpu.push((used.user + used.system) / 1000);
    }
  }
  process.send?.(times, () => process.disconnect());
});
