/**
 * Version requirements follow the version: when the release patches the version of workspace
 * members, every requirement on one of them (`foo-core = { path = "crates/foo-core", version =
 * "0.4.14" }`) must accept the new version, or cargo refuses the patched tree ("failed to select a
 * version for the requirement"). Found in `[workspace.dependencies]` and in each manifest's
 * `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` (and the underscore spellings),
 * also under `[target.<cfg>]`, inline, as tables or dotted keys, renamed or not. The `path`
 * decides which package a requirement is on, never the name: another package of the same name
 * outside the workspace keeps its requirement. Registry entries are left alone, unless the root
 * `[patch.<registry>]` points their name at a patched member.
 */
import { posix } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { followRequirement, RequirementRefusal } from "./cargo-requirement.js";
import { PlanError } from "./errors.js";
import { formatLocation, isTable, lineColumnOf, parseToml, type Table, table } from "./toml.js";
import { pathKey, stringPositions } from "./toml-positions.js";

/** A requirement the release rewrites, as the plan shows it. */
export interface RequirementChange {
  file: string;
  line: number;
  column: number;
  /** The TOML path of the value, e.g. `workspace.dependencies.foo-core.version`. */
  at: string;
  /** The package the requirement is on (a renamed entry's `package`). */
  package: string;
  before: string;
  after: string;
}

/** A package whose version the release patches, and its directory ("" for the root). */
export interface PatchedPackage {
  name: string;
  dir: string;
}

const KINDS = [
  "dependencies",
  "dev-dependencies",
  "dev_dependencies",
  "build-dependencies",
  "build_dependencies",
];

/** Every dependency table of a manifest, with its TOML path. */
function dependencyTables(manifest: Table, isRoot: boolean) {
  const found: { path: string[]; entries: Table }[] = [];
  const workspaceDeps = table(table(manifest, "workspace") ?? {}, "dependencies");
  if (isRoot && workspaceDeps)
    found.push({ path: ["workspace", "dependencies"], entries: workspaceDeps });
  const scopes: { path: string[]; body: Table }[] = [{ path: [], body: manifest }];
  for (const [platform, body] of Object.entries(table(manifest, "target") ?? {})) {
    if (isTable(body)) scopes.push({ path: ["target", platform], body });
  }
  for (const scope of scopes) {
    for (const kind of KINDS) {
      const entries = table(scope.body, kind);
      if (entries) found.push({ path: [...scope.path, kind], entries });
    }
  }
  return found;
}

/** The directory a dependency's `path` names, relative to the source root. */
function resolveDir(manifestDir: string, path: string): string {
  const joined = posix.normalize(posix.join(manifestDir, path.replaceAll("\\", "/")));
  const clean = joined.replace(/\/+$/, "");
  return clean === "." ? "" : clean;
}

/** Names the root `[patch.<registry>]` points at a patched directory. */
function patchedRegistryNames(root: Table, dirs: ReadonlyMap<string, string>): Set<string> {
  const names = new Set<string>();
  for (const registry of Object.values(table(root, "patch") ?? {})) {
    if (!isTable(registry)) continue;
    for (const entry of Object.values(registry)) {
      if (!isTable(entry) || typeof entry.path !== "string") continue;
      const name = dirs.get(resolveDir("", entry.path));
      if (name !== undefined) names.add(name);
    }
  }
  return names;
}

interface Found {
  path: string[];
  pkg: string;
  req: string;
}

/** The requirements of one manifest that are on a patched package. */
function requirementsIn(
  file: string,
  manifest: Table,
  dirs: ReadonlyMap<string, string>,
  viaPatch: ReadonlySet<string>,
): Found[] {
  const manifestDir = posix.dirname(file) === "." ? "" : posix.dirname(file);
  const found: Found[] = [];
  for (const { path, entries } of dependencyTables(manifest, file === "Cargo.toml")) {
    for (const [key, entry] of Object.entries(entries)) {
      if (typeof entry === "string") {
        if (viaPatch.has(key)) found.push({ path: [...path, key], pkg: key, req: entry });
        continue;
      }
      if (!isTable(entry) || typeof entry.version !== "string") continue;
      const pkg = typeof entry.package === "string" ? entry.package : key;
      const onMember =
        typeof entry.path === "string"
          ? dirs.has(resolveDir(manifestDir, entry.path))
          : entry.git === undefined && viaPatch.has(pkg);
      if (onMember) found.push({ path: [...path, key, "version"], pkg, req: entry.version });
    }
  }
  return found;
}

function setAt(value: unknown, path: readonly string[], to: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return to;
  const record = { ...(value as Record<string, unknown>) };
  record[head] = setAt(record[head], rest, to);
  return record;
}

async function rewriteFile(
  file: string,
  text: string,
  found: readonly Found[],
  to: string,
): Promise<{ text: string; changes: RequirementChange[] }> {
  const positions = await stringPositions(text);
  const edits: { start: number; end: number; text: string }[] = [];
  const changes: RequirementChange[] = [];
  let expected: unknown = parseToml(file, text);
  for (const { path, pkg, req } of found) {
    const position = positions.get(pathKey(path));
    if (!position) throw new Error(`${path.join(".")} was not located in ${file}`);
    const { line, column } = lineColumnOf(text, position.start);
    const refuse = (why: string) =>
      new PlanError(
        formatLocation(
          file,
          text,
          line,
          column,
          `the requirement on ${pkg} (${path.join(".")} = "${req}") cannot follow the release's ` +
            `version ${to}: ${why}; write one that accepts it, such as "${to}" or "=${to}"`,
        ),
      );
    let after: string | null;
    try {
      after = followRequirement(req, to);
    } catch (error) {
      if (error instanceof RequirementRefusal) throw refuse(error.message);
      throw error;
    }
    if (after === null) continue;
    if (!position.plain) throw refuse("it is written with escapes or on several lines");
    edits.push({ start: position.start, end: position.end, text: after });
    expected = setAt(expected, path, after);
    changes.push({ file, line, column, at: path.join("."), package: pkg, before: req, after });
  }
  const patched = [...edits]
    .sort((a, b) => b.start - a.start)
    .reduce((out, e) => out.slice(0, e.start) + e.text + out.slice(e.end), text);
  // The same guard as the version patch: exactly these values changed, nothing else.
  const got = parseToml(file, patched);
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(expected)))) {
    throw new PlanError(
      `rewriting the requirements in ${file} changed more than them; please report this with your ${file}`,
    );
  }
  return { text: patched, changes };
}

/**
 * Rewrites every requirement on a patched package so that it accepts `to`, in place: the
 * operator, spacing, precision, quotes and every other byte stay. `manifests` holds the root
 * `Cargo.toml` and each member's (`crates/cli/Cargo.toml`), as the version patch left them.
 * Returns the manifests that changed and what changed, or refuses (file, line and column) a
 * requirement that cannot follow.
 */
export async function rewriteRequirements(
  manifests: Readonly<Record<string, string>>,
  patched: readonly PatchedPackage[],
  to: string,
): Promise<{ files: Record<string, string>; changes: RequirementChange[] }> {
  const dirs = new Map(patched.map((p) => [p.dir, p.name]));
  const rootText = manifests["Cargo.toml"];
  const viaPatch =
    rootText === undefined
      ? new Set<string>()
      : patchedRegistryNames(parseToml("Cargo.toml", rootText), dirs);
  const files: Record<string, string> = {};
  const changes: RequirementChange[] = [];
  for (const [file, text] of Object.entries(manifests)) {
    const found = requirementsIn(file, parseToml(file, text), dirs, viaPatch);
    if (found.length === 0) continue;
    const rewritten = await rewriteFile(file, text, found, to);
    if (rewritten.changes.length === 0) continue;
    files[file] = rewritten.text;
    changes.push(...rewritten.changes);
  }
  return { files, changes };
}
