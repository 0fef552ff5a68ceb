import { PlanError } from "./errors.js";
import { isTable, type Table, table } from "./toml.js";

/** The table a project configures this pipeline in, as Cargo users write it. */
const PACKAGE_TABLE = "[package.metadata.rust-release]";
const WORKSPACE_TABLE = "[workspace.metadata.rust-release]";
/** Every setting the table may hold; anything else is a typo, refused rather than ignored. */
const SETTINGS = ["targets"] as const;

/** A list of strings read from the table, with where it is written (for errors). */
export interface ListSetting {
  values: string[];
  /** The manifest it is in, e.g. `crates/cli/Cargo.toml`. */
  file: string;
  /** `[package.metadata.rust-release] targets`: what messages call it. */
  key: string;
  /** The line of the key, and of each value, in the file (1-based; null if not found). */
  line: number | null;
  valueLines: (number | null)[];
}

/** The project's settings for this pipeline; null where it sets nothing. */
export interface ReleaseMetadata {
  targets: ListSetting | null;
}

/** Where a manifest holds the table: its file, its text and its parsed form. */
export interface MetadataSource {
  file: string;
  text: string;
  manifest: Table;
}

const quoted = (value: string) => JSON.stringify(value);

/**
 * 1-based numbers of the lines that match, from the table's header on (or, when the table is
 * written inline or dotted, from the first line that names rust-release).
 */
function linesMatching(text: string, tableName: string, pattern: RegExp): number[] {
  const lines = text.split("\n");
  const header = lines.findIndex((line) => line.trim().startsWith(tableName));
  const start = Math.max(
    0,
    header !== -1 ? header : lines.findIndex((line) => line.includes("rust-release")),
  );
  return lines.flatMap((line, index) => (index >= start && pattern.test(line) ? [index + 1] : []));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** "Cargo.toml line 12" (or just the file, when the line cannot be told). */
export function fileAndLine(file: string, line: number | null): string {
  return line === null ? file : `${file} line ${line}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isTable(value)) return "a table";
  if (typeof value === "string") return `the string ${quoted(value)}`;
  return `${typeof value === "number" ? "the number" : typeof value} ${String(value)}`;
}

/** Reads `targets` and refuses a value of the wrong type, naming the file and line. */
function listSetting(source: MetadataSource, tableName: string, settings: Table): ListSetting {
  const value = settings.targets;
  const line =
    linesMatching(source.text, tableName, /^\s*(["']?)targets\1\s*=|[{,]\s*targets\s*=/)[0] ?? null;
  const example = 'targets = ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"]';
  if (!Array.isArray(value)) {
    throw new PlanError(
      `${fileAndLine(source.file, line)}: ${tableName} targets must be a list of target ` +
        `triples, like ${example}; found ${describe(value)}`,
    );
  }
  const wrong = value.find((entry) => typeof entry !== "string");
  if (wrong !== undefined) {
    throw new PlanError(
      `${fileAndLine(source.file, line)}: ${tableName} targets must list target triples as ` +
        `strings, like ${example}; found ${describe(wrong)}`,
    );
  }
  const values = value as string[];
  const seen = new Map<string, number>();
  const valueLines = values.map((entry) => {
    const nth = seen.get(entry) ?? 0;
    seen.set(entry, nth + 1);
    const pattern = new RegExp(`(["'])${escapeRegExp(entry)}\\1`);
    return linesMatching(source.text, tableName, pattern)[nth] ?? null;
  });
  return { values, file: source.file, key: `${tableName} targets`, line, valueLines };
}

/** The `rust-release` table of `[package.metadata]` or `[workspace.metadata]`, checked. */
function settingsTable(source: MetadataSource, parent: Table | undefined, tableName: string) {
  const metadata = parent && table(parent, "metadata");
  const settings = metadata?.["rust-release"];
  if (settings === undefined) return null;
  if (!isTable(settings)) {
    const line = linesMatching(source.text, tableName, /rust-release/)[0] ?? null;
    throw new PlanError(
      `${fileAndLine(source.file, line)}: ${tableName} must be a table of settings ` +
        `(${SETTINGS.join(", ")}); found ${describe(settings)}`,
    );
  }
  const unknown = Object.keys(settings).find(
    (key) => !(SETTINGS as readonly string[]).includes(key),
  );
  if (unknown !== undefined) {
    const line = linesMatching(
      source.text,
      tableName,
      new RegExp(`^\\s*["']?${escapeRegExp(unknown)}\\b`),
    )[0];
    throw new PlanError(
      `${fileAndLine(source.file, line ?? null)}: ${tableName} has no setting ${quoted(unknown)}: ` +
        `the settings are ${SETTINGS.join(", ")}`,
    );
  }
  return settings;
}

/**
 * The pipeline's settings of a project: the released package's `[package.metadata.rust-release]`,
 * else the workspace root's `[workspace.metadata.rust-release]` (a package's own setting wins).
 * A table or setting of the wrong type, or an unknown setting, is refused.
 */
export function readReleaseMetadata(pkg: MetadataSource, root: MetadataSource): ReleaseMetadata {
  const own = settingsTable(pkg, table(pkg.manifest, "package"), PACKAGE_TABLE);
  const workspace = settingsTable(root, table(root.manifest, "workspace"), WORKSPACE_TABLE);
  if (own?.targets !== undefined) return { targets: listSetting(pkg, PACKAGE_TABLE, own) };
  if (workspace?.targets !== undefined) {
    return { targets: listSetting(root, WORKSPACE_TABLE, workspace) };
  }
  return { targets: null };
}
