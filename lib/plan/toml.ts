import { parse, TomlError, type TomlTable } from "smol-toml";
import { PlanError } from "./errors.js";

export type Table = TomlTable;

export function isTable(value: unknown): value is Table {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

export function table(parent: Table, key: string): Table | undefined {
  const value = parent[key];
  return isTable(value) ? value : undefined;
}

export function stringAt(parent: Table | undefined, key: string): string | undefined {
  const value = parent?.[key];
  return typeof value === "string" ? value : undefined;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * `<file>:<line>:<column>: <reason>`, then the line itself behind a gutter and a caret under the
 * column (tabs before it kept, so it lines up in a terminal; a CRLF file's `\r` not shown).
 */
export function formatLocation(
  file: string,
  text: string,
  line: number,
  column: number,
  reason: string,
): string {
  const source = (text.split("\n")[line - 1] ?? "").replace(/\r$/, "");
  const before = source.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, " ");
  const gutter = `${line} | `;
  return [
    `${file}:${line}:${column}: ${reason}`,
    `${gutter}${source}`,
    `${" ".repeat(gutter.length)}${before}^`,
  ].join("\n");
}

/** Line and column (1-based, UTF-16 units as smol-toml counts them) of an offset in `text`. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1) ?? "").length + 1 };
}

/**
 * Parses TOML. A syntax error names the file (its path in the source), the line and the column,
 * and shows the line: smol-toml knows where, its message's first line only says what.
 */
export function parseToml(file: string, text: string): Table {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = (error.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
    throw new PlanError(
      formatLocation(file, text, error.line, error.column, `not valid TOML: ${reason}`),
    );
  }
}
