import { cp, mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { PatchedFiles } from "../lib/plan/patch.js";
import { ignoredBySource } from "./local-source.js";

/**
 * Writes the tree a release builds into `to`: the source without what --source never passes
 * on (target/, .git/, ...), with the tag's version patched in. `to` must be new or empty and
 * lie outside the source.
 */
export async function writeSource(
  source: string,
  to: string,
  patched: PatchedFiles,
): Promise<void> {
  const target = resolve(to);
  const inside = relative(resolve(source), target);
  if (inside === "" || (!inside.startsWith("..") && !inside.startsWith("/"))) {
    throw new Error(`--write-source ${to} lies inside --source: give a directory outside it`);
  }
  const entries = await readdir(target).catch(() => null);
  if (entries !== null && entries.length > 0) {
    throw new Error(`--write-source ${to} is not empty: give a new or empty directory`);
  }
  await mkdir(target, { recursive: true });
  await cp(source, target, {
    recursive: true,
    filter: (path) => {
      const rel = relative(source, path).split("\\").join("/");
      return rel === "" || !ignoredBySource(rel);
    },
  });
  for (const [path, text] of Object.entries(patched)) {
    await mkdir(dirname(join(target, path)), { recursive: true });
    await writeFile(join(target, path), text);
  }
}
