import type { Target } from "../plan/target.js";
import { scriptCommand } from "./python.js";

/**
 * The argv that checks the binary at `path` (in the container) was built for `target`, with
 * everything the row says the binary must be (format, word size, byte order, machine, float
 * ABI, how it links, its floor): it prints one `ok: ...` line, or exits non-zero naming the
 * target, what was expected and what was found.
 */
export function checkBinaryCommand(target: Target, path: string): string[] {
  const spec = {
    target: target.triple,
    os: target.os,
    arch: target.arch,
    abi: target.abi,
    bits: target.bits,
    endianness: target.endianness,
    floatAbi: target.floatAbi,
    glibcFloor: target.glibcFloor,
    macosFloor: target.macosDeploymentTarget,
    path,
  };
  return scriptCommand("check_binary.py", JSON.stringify(spec));
}
