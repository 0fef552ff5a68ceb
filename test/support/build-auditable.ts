/**
 * Builds cargo-auditable the way the toolchain containers do, before the tests (`.ci/run` runs
 * this with tsx): `dagger call build` on the sample, through the harness, and its recorded
 * install step replayed in a fresh root (auditableTool). The replay tests then find it cached.
 */
import { ModuleUnderTest } from "../harness/dagger-call.js";
import { auditableTool } from "./auditable.js";

const mod = new ModuleUnderTest();
await mod.start();
try {
  const outcome = await mod.call(
    "build",
    { target: "x86_64-unknown-linux-gnu" },
    { answers: { exec: (e) => (e.argv.at(-1) === "--version" ? { exitCode: 1 } : undefined) } },
  );
  if (outcome.error) throw new Error(outcome.error);
  const started = Date.now();
  const tool = await auditableTool(mod.engine, outcome.model.execs);
  console.log(`cargo-auditable in ${tool.host} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
} finally {
  await mod.stop();
}
