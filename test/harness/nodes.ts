import { createHash } from "node:crypto";

/**
 * One step of a lazy Dagger value: the field selected on its parent, with its arguments.
 * Nodes are content-addressed, like the engine's own cache: the same chain is the same node,
 * so a value asked for twice runs its commands once.
 */
export interface Node {
  key: string;
  id: string;
  parent: Node | null;
  field: string;
  args: Record<string, unknown>;
  kind: string;
}

/** What a root field returns. */
const ROOT_KINDS: Record<string, string> = {
  container: "Container",
  directory: "Directory",
  cacheVolume: "CacheVolume",
  setSecret: "Secret",
  secret: "Secret",
  host: "Host",
  git: "GitRepository",
  http: "File",
  file: "File",
  typeDef: "TypeDef",
  function: "Function",
  module: "Module",
  error: "Error",
  sourceMap: "SourceMap",
  currentModule: "CurrentModule",
  currentFunctionCall: "FunctionCall",
  hostDirectory: "Directory",
};

/** Fields that change the kind of value; everything else (with*, from, ...) keeps it. */
const CHILD_KINDS: Record<string, Record<string, string>> = {
  Container: {
    file: "File",
    directory: "Directory",
    rootfs: "Directory",
    asTarball: "File",
    asService: "Service",
  },
  Directory: { file: "File", directory: "Directory", asGit: "GitRepository" },
  Host: { directory: "Directory", file: "File" },
  GitRepository: {
    head: "GitRef",
    branch: "GitRef",
    tag: "GitRef",
    commit: "GitRef",
    ref: "GitRef",
  },
  GitRef: { tree: "Directory" },
  CurrentModule: { source: "Directory" },
  TypeDef: { withFunction: "TypeDef" },
};

export function childKind(parentKind: string, field: string): string {
  return CHILD_KINDS[parentKind]?.[field] ?? parentKind;
}

export function rootKind(field: string): string {
  return ROOT_KINDS[field] ?? field;
}

/** Nodes by key and by ID. */
export class NodeStore {
  private byKey = new Map<string, Node>();
  private byId = new Map<string, Node>();

  make(parent: Node | null, field: string, args: Record<string, unknown>, kind: string): Node {
    const key = `${parent?.key ?? ""}/${field}${canonicalArgs(args)}`;
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const id = `node:${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;
    const node: Node = { key, id, parent, field, args, kind };
    this.byKey.set(key, node);
    this.byId.set(id, node);
    return node;
  }

  get(id: string): Node | undefined {
    return this.byId.get(id);
  }

  /** The node an argument refers to, when the argument is one of our IDs. */
  ref(value: unknown): Node | undefined {
    return typeof value === "string" ? this.byId.get(value) : undefined;
  }

  /** The chain from the root to this node. */
  static chain(node: Node): Node[] {
    const chain: Node[] = [];
    for (let n: Node | null = node; n; n = n.parent) chain.unshift(n);
    return chain;
  }
}

function canonicalArgs(args: Record<string, unknown>): string {
  const keys = Object.keys(args).sort();
  if (keys.length === 0) return "";
  return `(${keys.map((k) => `${k}:${JSON.stringify(args[k])}`).join(",")})`;
}
