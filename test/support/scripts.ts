import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SCRIPTS_DIR, SCRIPTS_SOURCE } from "../../lib/commands/python.js";
import { REPO_ROOT } from "../harness/module-files.js";

/**
 * The module's container scripts at the paths a container has them (what stages/scripts.ts
 * puts there), for a fresh root that runs a step the harness did not record.
 */
export function containerScripts(): Record<string, Buffer> {
  const dir = join(REPO_ROOT, SCRIPTS_SOURCE);
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith(".py"))
      .map((name) => [`${SCRIPTS_DIR}/${name}`, readFileSync(join(dir, name))]),
  );
}
