import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { SourceReader } from "../src/plan/project-files.js";

function segmentPattern(segment: string): RegExp {
  const escaped = segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*");
  return new RegExp(`^${escaped}$`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
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
