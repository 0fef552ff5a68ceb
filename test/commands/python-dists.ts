import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { run } from "../example/tools.js";

/** Python's own zip and tar code writes the doctored distributions: independent of ours. */
const REWRITE_WHEEL = `
import json
import sys
import zipfile

spec = json.loads(sys.argv[1])
with zipfile.ZipFile(spec["source"]) as source, zipfile.ZipFile(spec["target"], "w") as target:
    for info in source.infolist():
        if info.filename in spec["drop"]:
            continue
        data = source.read(info)
        for old, new in spec["replace"].get(info.filename, []):
            data = data.replace(old.encode(), new.encode())
        target.writestr(info, data)
`;

const WRITE_DISTS = `
import io
import json
import sys
import tarfile
import zipfile

spec = json.loads(sys.argv[1])
metadata = f"Metadata-Version: 2.4\\nName: {spec['name']}\\nVersion: {spec['version']}\\n"
stem = f"{spec['dist']}-{spec['version']}"
with zipfile.ZipFile(spec["wheel"], "w") as wheel:
    wheel.writestr(f"{spec['dist']}/__init__.py", spec["payload"])
    wheel.writestr(f"{stem}.dist-info/METADATA", metadata)
    wheel.writestr(f"{stem}.dist-info/WHEEL", f"Wheel-Version: 1.0\\nTag: {spec['tag']}\\n")
with tarfile.open(spec["sdist"], "w:gz") as sdist:
    data = metadata.encode()
    info = tarfile.TarInfo(f"{stem}/PKG-INFO")
    info.size = len(data)
    sdist.addfile(info, io.BytesIO(data))
`;

export interface WheelRewrite {
  /** Members left out of the copy. */
  drop?: string[];
  /** Text replacements, by member name. */
  replace?: Record<string, [string, string][]>;
}

/** Copies a wheel to `target`, member by member, with the given changes. */
export async function rewriteWheel(
  source: string,
  target: string,
  { drop = [], replace = {} }: WheelRewrite,
): Promise<void> {
  await run("python3", ["-c", REWRITE_WHEEL, JSON.stringify({ source, target, drop, replace })]);
}

export interface SyntheticDists {
  name: string;
  dist: string;
  version: string;
  /** The full wheel tag, e.g. `py3-none-any`. */
  tag: string;
  wheel: string;
  sdist: string;
  /** The package's `__init__.py`: a different payload makes a different wheel of the same name. */
  payload: string;
}

/** Writes a minimal wheel and sdist: enough metadata for an upload, nothing to build. */
export async function writeSyntheticDists(spec: SyntheticDists): Promise<void> {
  await run("python3", ["-c", WRITE_DISTS, JSON.stringify(spec)]);
}

export async function sha256Of(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}
