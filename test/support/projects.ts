import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProjectFiles } from "../../lib/plan/project-files.js";
import { loadProjectFiles } from "../../lib/plan/project-files.js";
import { localSourceReader } from "../../scripts/local-source.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const EXAMPLE_DIR = join(REPO_ROOT, "example");

/** A scratch directory removed by the returned cleanup. */
export function scratchDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes a project tree (path -> text) into a directory. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A copy of the sample crate without build output. */
export function copyExample(to: string): void {
  cpSync(EXAMPLE_DIR, to, {
    recursive: true,
    filter: (source) => !source.startsWith(join(EXAMPLE_DIR, "target")),
  });
}

/** A project directory read as the pipeline reads it (`pythonProject`: --python-project). */
export function readProject(root: string, pythonProject?: string | null): Promise<ProjectFiles> {
  return loadProjectFiles(localSourceReader(root), { pythonProject: pythonProject ?? null });
}
