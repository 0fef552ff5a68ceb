/**
 * `npm run bench [-- --rounds N --plan-rounds M]`: what starting the module costs on every
 * engine invocation. The SDK's scan() of src/ is compared with its scan of a one-function module
 * in fresh processes (as the engine runs it) and repeated in one process; `plan` is timed through
 * the harness end to end, and so is `release`, in full and resumed after a failed PyPI step.
 * Then the compile cache with real tools (bench/compile-cache.ts), per fixture and target, cold
 * against warm (`--compile-cache-fixtures sample,heavy`, `none` to skip it, `heavy-nolto` for
 * the heavy fixture without its LTO; the heavy fixture takes about 8 minutes on two idle cores,
 * half an hour on busy ones). Compare the ratios between runs: absolute times follow the
 * machine's load.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { clientGenFile, listModuleFiles, REPO_ROOT } from "../test/harness/module-files.js";
import { benchCompileCache } from "./compile-cache.js";
import { onInterrupt } from "./interrupt.js";
import { writeMinimalModule } from "./minimal-module.js";
import { timePlan } from "./plan-timing.js";
import { timeRelease } from "./release-timing.js";
import { runScanJob, type ScannedModule } from "./scan-job.js";
import { median } from "./stats.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "plan-rounds": { type: "string", default: "3" },
    "compile-cache-fixtures": { type: "string", default: "sample,heavy" },
    "only-compile-cache": { type: "boolean", default: false },
  },
  strict: true,
});
const rounds = Number(values.rounds);
const planRounds = Number(values["plan-rounds"]);
const cacheFixtures = values["compile-cache-fixtures"]
  .split(",")
  .filter((f) => f !== "" && f !== "none");

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

interface ColdTimes {
  /** The scan() call alone. */
  scan: Record<string, number[]>;
  /** The scan() call alone, in CPU time: what the load of a busy machine changes least. */
  scanCpu: Record<string, number[]>;
  /** The whole fresh process, from spawning it to its result: what an engine invocation pays. */
  process: Record<string, number[]>;
}

async function coldScans(modules: ScannedModule[]): Promise<ColdTimes> {
  const empty = () => Object.fromEntries(modules.map((m) => [m.label, [] as number[]]));
  const times: ColdTimes = { scan: empty(), scanCpu: empty(), process: empty() };
  for (let round = 1; round <= rounds; round++) {
    progress(`cold round ${round}/${rounds}`);
    // Taking turns spreads changes in the machine's load over both modules.
    for (const module of modules) {
      const start = performance.now();
      const job = await runScanJob({ modules: [module], warmups: 0, rounds: 1 });
      times.process[module.label]?.push(performance.now() - start);
      times.scan[module.label]?.push(...(job[module.label]?.wall ?? []));
      times.scanCpu[module.label]?.push(...(job[module.label]?.cpu ?? []));
    }
  }
  return times;
}

function row(label: string, minimal: readonly number[], ours: readonly number[]): string {
  const [base, own] = [median(minimal), median(ours)];
  const ms = (value: number) => `${Math.round(value)} ms`.padStart(9);
  return `${label.padEnd(28)}${ms(base)}${ms(own)}${`${(own / base).toFixed(2)}x`.padStart(14)}`;
}

const scratch = mkdtempSync(join(tmpdir(), "rust-release-bench-"));
const forgetScratch = onInterrupt(() => rmSync(scratch, { recursive: true, force: true }));
try {
  const ours: ScannedModule = {
    label: "ours",
    name: "rust-release",
    files: [...listModuleFiles(join(REPO_ROOT, "src")), clientGenFile(scratch)],
  };
  mkdirSync(join(scratch, "minimal"));
  const minimal = writeMinimalModule(join(scratch, "minimal"));
  const modules = [minimal, ours];

  if (!values["only-compile-cache"]) await startupCosts(modules);
  if (cacheFixtures.length > 0) {
    progress(`compile cache: ${cacheFixtures.join(", ")} (real builds, cold then warm)`);
    for (const line of await benchCompileCache(cacheFixtures, scratch, progress)) console.log(line);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  forgetScratch();
}

/** The module's start-up cost: the SDK's scan, plan and release through the harness. */
async function startupCosts(modules: ScannedModule[]): Promise<void> {
  const cold = await coldScans(modules);
  progress(`warm: one process, 1 untimed + ${rounds} timed scans of each`);
  const warm = await runScanJob({ modules, warmups: 1, rounds });
  const plans: number[] = [];
  for (let round = 1; round <= planRounds; round++) {
    progress(`plan through the harness ${round}/${planRounds}`);
    plans.push(await timePlan());
  }
  progress("release through the harness: a full release, then a resumed one");
  const release = await timeRelease();

  console.log(
    `SDK scan() of src/ (ours) and of a one-function module (minimal), median of ${rounds}`,
  );
  console.log(
    `${"".padEnd(28)}${"minimal".padStart(9)}${"ours".padStart(9)}${"ours/minimal".padStart(14)}`,
  );
  console.log(
    row("cold process, spawn to scan", cold.process.minimal ?? [], cold.process.ours ?? []),
  );
  console.log(row("cold scan() alone", cold.scan.minimal ?? [], cold.scan.ours ?? []));
  console.log(row("cold scan() alone, CPU", cold.scanCpu.minimal ?? [], cold.scanCpu.ours ?? []));
  console.log(row("warm (one process)", warm.minimal?.wall ?? [], warm.ours?.wall ?? []));
  const scanRatio = median(cold.scanCpu.ours ?? []) / median(cold.scanCpu.minimal ?? []);
  console.log(
    `what our code adds to every dagger call: scan() ours/minimal ${scanRatio.toFixed(2)}x ` +
      "(cold, CPU time; the goal is 1.15x or below)",
  );
  console.log(
    `plan through the harness, start to result, median of ${planRounds}: ` +
      `${Math.round(median(plans))} ms`,
  );
  console.log(
    `release through the harness (fresh engine each): full ${Math.round(release.full)} ms, ` +
      `resume after a failed PyPI step ${Math.round(release.resume)} ms, ` +
      `resume/full ${(release.resume / release.full).toFixed(2)}`,
  );
}
