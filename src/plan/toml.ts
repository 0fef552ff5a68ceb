import { parse, type TomlTable } from "smol-toml";
import { PlanError } from "./errors.js";

export type Table = TomlTable;

export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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

/** Parses TOML, naming the file in the error so the user knows which one is broken. */
export function parseToml(file: string, text: string): Table {
  try {
    return parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new PlanError(`${file} is not valid TOML: ${reason}`);
  }
}
