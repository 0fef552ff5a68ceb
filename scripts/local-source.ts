import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { SourceReader } from "../lib/plan/project-files.js";
import { SOURCE_IGNORE } from "../src/source-ignore.js";

function segmentPattern(segment: string): RegExp {
  const escaped = segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*");
  return new RegExp(`^${escaped}$`);
}

/**
 * Whether a path is one `--source` never passes on (SOURCE_IGNORE: `**\/target` anywhere,
 * `dist` at the root), so a reader over a local directory sees what the module would.
 */
export function ignoredBySource(path: string): boolean {
  const parts = path.split("/");
  return SOURCE_IGNORE.some((pattern) =>
    pattern.startsWith("**/")
      ? parts.includes(pattern.slice(3))
      : path === pattern || path.startsWith(`${pattern}/`),
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `base` and every directory below it that --source would pass on, depth first, sorted. */
async function directoriesBelow(root: string, base: string): Promise<string[]> {
  const entries = await readdir(join(root, base), { withFileTypes: true }).catch(() => []);
  const below = await Promise.all(
    entries
      .filter((e) => e.isDirectory())
      .map((e) => (base === "" ? e.name : `${base}/${e.name}`))
      .filter((path) => !ignoredBySource(path))
      .sort()
      .map((path) => directoriesBelow(root, path)),
  );
  return [base, ...below.flat()];
}

/** A SourceReader over a directory on this machine (the plan CLI and the tests use it). */
export function localSourceReader(root: string): SourceReader {
  return {
    async read(path) {
      return readFile(join(root, path), "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" || error.code === "EISDIR") return null;
        throw error;
      });
    },
    async isFile(path) {
      return stat(join(root, path)).then(
        (info) => info.isFile(),
        () => false,
      );
    },
    async glob(pattern) {
      let matches = [""];
      for (const segment of pattern.split("/")) {
        const next: string[] = [];
        for (const base of matches) {
          if (segment === "**") {
            next.push(...(await directoriesBelow(root, base)));
            continue;
          }
          if (!segment.includes("*")) {
            const path = base === "" ? segment : `${base}/${segment}`;
            if (await exists(join(root, path))) next.push(path);
            continue;
          }
          const entries = await readdir(join(root, base)).catch(() => [] as string[]);
          const wanted = segmentPattern(segment);
          for (const entry of entries.sort()) {
            if (wanted.test(entry)) next.push(base === "" ? entry : `${base}/${entry}`);
          }
        }
        matches = next;
      }
      return matches;
    },
  };
}
