/**
 * Where each string value of a TOML text is written, so a value can be replaced in place and
 * every other byte kept. smol-toml parses but keeps no positions; toml-eslint-parser (the
 * parser of eslint-plugin-toml) gives every node its range. It is loaded on first use, by a
 * specifier TypeScript does not follow, so the engine's scan of src/ never reads its
 * declarations: only a release that rewrites requirements pays for it.
 * test/plan/toml-positions-conformance.ts proves the narrow types below against the library's.
 */

/** A node's `[start, end)` offsets in the text. */
interface Located {
  range: [number, number];
}
export interface TomlKeyNode {
  keys: ({ type: "TOMLBare"; name: string } | { type: "TOMLQuoted"; value: string })[];
}
export type TomlContentNode =
  | (Located & {
      type: "TOMLValue";
      kind: "string";
      style: "basic" | "literal";
      multiline: boolean;
      value: string;
    })
  | (Located & {
      type: "TOMLValue";
      kind:
        | "integer"
        | "float"
        | "boolean"
        | "offset-date-time"
        | "local-date-time"
        | "local-date"
        | "local-time";
    })
  | (Located & { type: "TOMLArray"; elements: TomlContentNode[] })
  | (Located & { type: "TOMLInlineTable"; body: TomlKeyValueNode[] });
export interface TomlKeyValueNode {
  key: TomlKeyNode;
  value: TomlContentNode;
}
export interface TomlTableNode {
  type: "TOMLTable";
  resolvedKey: (string | number)[];
  body: TomlKeyValueNode[];
}
export interface TomlProgramNode {
  body: [{ body: (TomlKeyValueNode | TomlTableNode)[] }];
}
export interface TomlPositionParser {
  parseTOML(code: string, options?: { tomlVersion?: "1.1" }): TomlProgramNode;
}

/** Where a string value is written. */
export interface StringPosition {
  /** Offsets of the characters between the quotes. */
  start: number;
  end: number;
  /** Whether those characters are the value itself: one line, no escapes. */
  plain: boolean;
}

const PARSER_PACKAGE = "toml-eslint-parser";
let parser: Promise<TomlPositionParser> | undefined;

function loadParser(): Promise<TomlPositionParser> {
  parser ??= import(PARSER_PACKAGE) as Promise<TomlPositionParser>;
  return parser;
}

/** A TOML path as a map key: `["dependencies", "foo", "version"]`. */
export const pathKey = (path: readonly (string | number)[]) => JSON.stringify(path.map(String));

function keyNames(key: TomlKeyNode): string[] {
  return key.keys.map((k) => (k.type === "TOMLBare" ? k.name : k.value));
}

function visit(
  text: string,
  path: readonly string[],
  node: TomlContentNode,
  out: Map<string, StringPosition>,
) {
  if (node.type === "TOMLValue") {
    if (node.kind !== "string") return;
    const quote = node.multiline ? 3 : 1;
    const [start, end] = [node.range[0] + quote, node.range[1] - quote];
    const plain = !node.multiline && text.slice(start, end) === node.value;
    out.set(pathKey(path), { start, end, plain });
  } else if (node.type === "TOMLArray") {
    for (const [i, element] of node.elements.entries())
      visit(text, [...path, String(i)], element, out);
  } else {
    for (const entry of node.body) visit(text, [...path, ...keyNames(entry.key)], entry.value, out);
  }
}

/** Each key/value of the file's tables, with the TOML path of its key. */
function* entries(program: TomlProgramNode): Generator<[string[], TomlContentNode]> {
  for (const item of program.body[0].body) {
    if ("resolvedKey" in item) {
      const base = item.resolvedKey.map(String);
      for (const entry of item.body) yield [[...base, ...keyNames(entry.key)], entry.value];
    } else {
      yield [keyNames(item.key), item.value];
    }
  }
}

async function parse(text: string): Promise<TomlProgramNode> {
  return (await loadParser()).parseTOML(text, { tomlVersion: "1.1" });
}

/** The position of every string value of `text` (a valid TOML file), by its TOML path. */
export async function stringPositions(text: string): Promise<Map<string, StringPosition>> {
  const out = new Map<string, StringPosition>();
  for (const [path, value] of entries(await parse(text))) visit(text, path, value, out);
  return out;
}

/**
 * Where the value of a key is written in `text` (a valid TOML file), as `[start, end)` offsets,
 * whether the key sits in a table header's table (`[lib]` then `crate-type = ...`), is dotted
 * (`lib.crate-type = ...`) or is inside an inline table (`lib = { crate-type = ... }`); null
 * when the file does not set it.
 */
export async function valueRange(
  text: string,
  path: readonly string[],
): Promise<[number, number] | null> {
  const wanted = pathKey(path);
  const find = (at: string[], node: TomlContentNode): [number, number] | null => {
    if (pathKey(at) === wanted) return node.range;
    if (node.type !== "TOMLInlineTable") return null;
    for (const entry of node.body) {
      const found = find([...at, ...keyNames(entry.key)], entry.value);
      if (found) return found;
    }
    return null;
  };
  for (const [at, value] of entries(await parse(text))) {
    const found = find(at, value);
    if (found) return found;
  }
  return null;
}
