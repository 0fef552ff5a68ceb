import { scriptCommand } from "./python.js";

export interface ExpectedWheel {
  /** The wheel's path in the container that runs the check. */
  path: string;
  /** The platform tag (set) the target's wheel must carry, e.g. `macosx_11_0_arm64`. */
  platformTag: string;
  /** The python tag: the abi3 floor (`cp38`), or `py3` for a bin wheel. */
  pythonTag: string;
  /** The abi tag: `abi3`, or `none` for a bin wheel. */
  abiTag: string;
  /** File names a bin wheel must install as scripts (`twatch`, `twatch.exe`). */
  executables: string[];
}

export interface CheckDistSpec {
  /** The release's PEP 440 version, e.g. `0.1.5rc1`. */
  version: string;
  /** The `[project] name`, e.g. `sample-usage`. */
  project: string;
  wheels: ExpectedWheel[];
  sdist: { path: string } | null;
}

function validate(spec: CheckDistSpec): void {
  if (spec.version === "" || spec.project === "") {
    throw new Error("check-dist needs the release version and the project name");
  }
  const paths = [
    ...spec.wheels.map((wheel) => wheel.path),
    ...(spec.sdist ? [spec.sdist.path] : []),
  ];
  if (paths.length === 0) throw new Error("check-dist: no wheels and no sdist to check");
  const repeated = paths.find((path, index) => paths.indexOf(path) !== index);
  if (repeated !== undefined) throw new Error(`check-dist: ${repeated} is listed twice`);
}

/** The argv that checks the distributions against the release; it exits non-zero on a mismatch. */
export function checkDistCommand(spec: CheckDistSpec): string[] {
  validate(spec);
  return scriptCommand("check_dist.py", JSON.stringify(spec));
}
