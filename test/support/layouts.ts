import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ProjectFiles } from "../../lib/plan/project-files.js";
import { REPO_ROOT, readProject, scratchDir, writeTree } from "./projects.js";

/**
 * Project layouts besides the sample crate, each shaped like the real projects named, under
 * test/fixtures/ (Cargo.lock written by cargo itself):
 * - binBindings: py-spy's shape, a root package shipped as a maturin `bin` wheel; the PyPI
 *   name (tracewatch-cli), the crate (tracewatch) and the executable (twatch) all differ; a
 *   static pyproject.toml version.
 * - manifestPath: uv's and ruff's shape, a virtual workspace whose root pyproject.toml builds
 *   a `bin` wheel from crates/lintkit (two executables, version from [workspace.package]),
 *   with python-source and module-name; another member has a binary, one is excluded.
 * - pureRustWorkspace: no pyproject.toml; two members with binaries (alpha with its own
 *   version, beta inheriting the workspace's), released with --cargo-package.
 * - pinnedWorkspace: a virtual workspace (0.4.14) whose members pin each other by version, the
 *   way sqruff, nautilus_trader, jj, polars and rerun do: [workspace.dependencies] inline and as
 *   a renamed table, members' [dependencies], [build-dependencies], dotted [dev-dependencies],
 *   target tables, `=`, `~`, `^` and partial requirements, a CRLF manifest, a member with its
 *   own version (2.1.0), and an older package of the same name outside the workspace
 *   (vendor/foo-core-old, 0.3.0), so Cargo.lock writes "foo-core 0.4.14" items.
 * - pinnedWorkspace1x: the same at 1.2.3 with the other spellings (`1`, `1.2`, `~1.2.3`,
 *   single-quoted, no spaces, target build-dependencies).
 * - pypiSubdir: clickhousectl's shape, the maturin pyproject.toml in pypi/ with manifest-path
 *   = "../crates/qctl/Cargo.toml" (a bin wheel), the workspace pinning its member.
 * - cliPyproject: sqruff's shape, crates/lintr/pyproject.toml next to the CLI crate (bin,
 *   manifest-path = "Cargo.toml", a static version), the workspace pinning its member.
 * - pyo3Abi3: the seed's own shape as committed: the sample crate with pyo3 0.20 abi3, without
 *   generate-import-lib, so Cargo.lock holds no python3-dll-a.
 */
export const LAYOUTS = {
  binBindings: join(REPO_ROOT, "test", "fixtures", "bin-bindings"),
  manifestPath: join(REPO_ROOT, "test", "fixtures", "manifest-path"),
  pureRustWorkspace: join(REPO_ROOT, "test", "fixtures", "pure-rust-workspace"),
  pinnedWorkspace: join(REPO_ROOT, "test", "fixtures", "pinned-workspace"),
  pinnedWorkspace1x: join(REPO_ROOT, "test", "fixtures", "pinned-workspace-1x"),
  pypiSubdir: join(REPO_ROOT, "test", "fixtures", "pypi-subdir"),
  cliPyproject: join(REPO_ROOT, "test", "fixtures", "cli-pyproject"),
  pyo3Abi3: join(REPO_ROOT, "test", "fixtures", "pyo3-abi3-020"),
} as const;

export type Layout = keyof typeof LAYOUTS;

/** A copy of a layout, with files replaced (text) or removed (null); the caller removes it. */
export function layoutCopy(
  layout: Layout,
  changes: Record<string, string | null> = {},
): { path: string; remove: () => void } {
  const copy = scratchDir(`layout-${layout}`);
  cpSync(LAYOUTS[layout], copy.path, { recursive: true });
  const removed = Object.keys(changes).filter((path) => changes[path] === null);
  for (const path of removed) rmSync(join(copy.path, path), { recursive: true, force: true });
  writeTree(
    copy.path,
    Object.fromEntries(Object.entries(changes).filter((e): e is [string, string] => e[1] !== null)),
  );
  return copy;
}

/** The project files of a layout with changes, read as the pipeline reads them. */
export async function layoutFiles(
  layout: Layout,
  changes: Record<string, string | null> = {},
): Promise<ProjectFiles> {
  const copy = layoutCopy(layout, changes);
  try {
    return await readProject(copy.path);
  } finally {
    copy.remove();
  }
}
