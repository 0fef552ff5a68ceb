import { type Node, NodeStore } from "./nodes.js";

/** One argument of a function, as the module registered it with the engine. */
export interface ArgSurface {
  name: string;
  /** GraphQL-style type: `String`, `Boolean`, `Directory`, `[String]`; `?` when optional. */
  type: string;
  description: string;
  /** The JSON default the CLI shows, when the argument has a primitive default. */
  defaultValue?: unknown;
  defaultPath?: string;
  ignore?: string[];
}

export interface FunctionSurface {
  name: string;
  description: string;
  returnType: string;
  cachePolicy: string | null;
  args: ArgSurface[];
}

export interface ObjectSurface {
  name: string;
  description: string;
  constructorArgs: ArgSurface[];
  functions: FunctionSurface[];
}

// The SDK sends TypeDefKind members by name (STRING for STRING_KIND).
const KIND_NAMES: Record<string, string> = {
  STRING: "String",
  BOOLEAN: "Boolean",
  INTEGER: "Int",
  FLOAT: "Float",
  VOID: "Void",
};

/** Decodes what the SDK's registration sent (`module { withObject(...) }`) into plain data. */
export class SurfaceDecoder {
  constructor(private store: NodeStore) {}

  private ref(value: unknown): Node {
    const node = this.store.ref(value);
    if (!node) throw new Error(`harness: unknown ID in registration: ${String(value)}`);
    return node;
  }

  typeDef(node: Node): string {
    let base = "?";
    let optional = false;
    for (const step of NodeStore.chain(node)) {
      const a = step.args;
      if (step.field === "withKind") base = KIND_NAMES[String(a.kind)] ?? String(a.kind);
      if (["withObject", "withEnum", "withScalar", "withInterface"].includes(step.field)) {
        base = String(a.name);
      }
      if (step.field === "withListOf") base = `[${this.typeDef(this.ref(a.elementType))}]`;
      if (step.field === "withOptional") optional = a.optional === true;
    }
    return optional ? `${base}?` : base;
  }

  function(node: Node): FunctionSurface {
    const surface: FunctionSurface = {
      name: "",
      description: "",
      returnType: "",
      cachePolicy: null,
      args: [],
    };
    for (const step of NodeStore.chain(node)) {
      const a = step.args;
      if (step.field === "function") {
        surface.name = String(a.name);
        surface.returnType = this.typeDef(this.ref(a.returnType));
      }
      if (step.field === "withDescription") surface.description = String(a.description);
      if (step.field === "withCachePolicy") surface.cachePolicy = String(a.policy);
      if (step.field === "withArg") {
        surface.args.push({
          name: String(a.name),
          type: this.typeDef(this.ref(a.typeDef)),
          description: String(a.description ?? ""),
          ...(a.defaultValue !== undefined
            ? { defaultValue: JSON.parse(String(a.defaultValue)) }
            : {}),
          ...(a.defaultPath !== undefined ? { defaultPath: String(a.defaultPath) } : {}),
          ...(a.ignore !== undefined ? { ignore: a.ignore as string[] } : {}),
        });
      }
    }
    return surface;
  }

  object(node: Node): ObjectSurface {
    const surface: ObjectSurface = {
      name: "",
      description: "",
      constructorArgs: [],
      functions: [],
    };
    for (const step of NodeStore.chain(node)) {
      const a = step.args;
      if (step.field === "withObject" && step.parent?.field === "typeDef") {
        surface.name = String(a.name);
        surface.description = String(a.description ?? "");
      }
      if (step.field === "withFunction")
        surface.functions.push(this.function(this.ref(a.function)));
      if (step.field === "withConstructor") {
        surface.constructorArgs = this.function(this.ref(a.function)).args;
      }
    }
    return surface;
  }

  module(node: Node): ObjectSurface[] {
    return NodeStore.chain(node)
      .filter((step) => step.field === "withObject")
      .map((step) => this.object(this.ref(step.args.object)));
  }
}
