import type { SmokeSubject } from "../plan/python-plan.js";
import { scriptCommand } from "./python.js";

export interface SmokeTestSpec extends SmokeSubject {
  /** The wheel's path in the container. */
  wheel: string;
  /**
   * The CARGO version (`0.1.5-rc.1`, not the wheel's `0.1.5rc1`): the console script runs the
   * Rust CLI, which prints the version Cargo compiled into it.
   */
  version: string;
}

/** The argv that installs the wheel in a clean venv, imports it and runs what it installed. */
export function smokeTestCommand(spec: SmokeTestSpec): string[] {
  if (spec.importName === "" || spec.script === "" || spec.version === "") {
    throw new Error(`smoke test of ${spec.wheel}: import name, script and version must be named`);
  }
  if (spec.importName === null && spec.script === null) {
    throw new Error(`smoke test of ${spec.wheel}: nothing to import and nothing to run`);
  }
  return scriptCommand("python_smoke.py", JSON.stringify(spec));
}
