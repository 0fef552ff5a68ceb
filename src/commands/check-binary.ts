import type { Target } from "../plan/target.js";
import { scriptCommand } from "./python.js";

/**
 * The argv that checks the binary at `path` (in the container) was built for `target`: it prints
 * one `ok: ...` line, or exits non-zero naming the target, what was expected and what was found.
 */
export function checkBinaryCommand(target: Target, path: string): string[] {
  const spec = {
    target: target.triple,
    os: target.os,
    arch: target.arch,
    glibcFloor: target.glibcFloor,
    macosFloor: target.macosDeploymentTarget,
    path,
  };
  return scriptCommand("check_binary.py", JSON.stringify(spec));
}
