import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, posix } from "node:path";
import { type FieldNode, Kind, parse, type SelectionNode, type ValueNode } from "graphql";
import { type Answers, EngineError, Evaluator, ExecFailure } from "./evaluator.js";
import { type ContainerSummary, emptyModel, type RecordedModel } from "./model.js";
import { childKind, type Node, NodeStore, rootKind } from "./nodes.js";

/**
 * What a container registry holds: outside the engine, so it outlives the engine's cache (a
 * second harness can share it, as two fresh engines share ghcr.io).
 */
export class FakeRegistry {
  readonly images = new Map<string, { digest: string; variants: ContainerSummary[] }>();
}

/** The function call the engine is serving: what `currentFunctionCall` answers. */
export interface Invocation {
  parentName: string;
  name: string;
  parent: unknown;
  inputArgs: Record<string, unknown>;
}

export type InvocationResult = { value: unknown } | { error: string };

function literal(value: ValueNode): unknown {
  switch (value.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return value.value;
    case Kind.INT:
      return Number.parseInt(value.value, 10);
    case Kind.FLOAT:
      return Number.parseFloat(value.value);
    case Kind.BOOLEAN:
      return value.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return value.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(value.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      throw new Error(`harness: variables are not supported (${value.kind})`);
  }
}

function fieldOf(selection: SelectionNode): FieldNode {
  if (selection.kind === Kind.FIELD) return selection;
  if (selection.kind === Kind.INLINE_FRAGMENT) {
    const [inner] = selection.selectionSet.selections;
    if (inner) return fieldOf(inner);
  }
  throw new Error("harness: fragments are not supported");
}

/**
 * A stand-in for the Dagger engine that speaks the SDK's GraphQL protocol on 127.0.0.1: it
 * evaluates each query's chain lazily, runs nothing, and records what would have run.
 */
export class FakeEngine {
  readonly token = randomBytes(16).toString("hex");
  readonly store = new NodeStore();
  model: RecordedModel = emptyModel();
  /** Every query received, in order (for debugging failing tests). */
  readonly queries: string[] = [];
  answers: Answers = {};
  evaluator: Evaluator;

  invocation: Invocation | null = null;
  /** Where pushes go and image labels are read from; replace it to share one between engines. */
  registry = new FakeRegistry();
  /** What `dag.defaultPlatform()` answers: the engine host's platform. */
  defaultPlatform = "linux/amd64";
  /** Delay before each answer, so concurrent requests overlap and can be counted. */
  latencyMs = 0;
  /** The most requests that were ever being answered at once. */
  maxInFlight = 0;
  private inFlight = 0;
  result: InvocationResult | null = null;

  private server: Server | null = null;
  private plaintexts = new Map<string, string>();

  constructor(readonly moduleName: string) {
    this.evaluator = this.newEvaluator();
  }

  private newEvaluator(): Evaluator {
    return new Evaluator(
      this.store,
      this.model,
      () => this.answers,
      (node) => this.secretName(node),
    );
  }

  /** Forgets what was recorded (the cache of evaluated values goes with it). */
  reset(answers: Answers = {}): void {
    this.model = emptyModel();
    this.answers = answers;
    this.maxInFlight = 0;
    this.evaluator = this.newEvaluator();
  }

  get port(): number {
    if (!this.server) throw new Error("harness: the engine is not started");
    return (this.server.address() as AddressInfo).port;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // The engine keeps a runtime's connection however long the runtime stays silent (its scan
    // of src/ blocks for seconds); Node's default would close it after 5 s of idleness, and the
    // SDK's next request on it would fail with "socket hang up".
    this.server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** A secret the caller passes (like `--token env://NAME`); only its name enters the model. */
  secret(name: string, plaintext: string): Node {
    const node = this.store.make(null, "secret", { uri: `env://${name}` }, "Secret");
    this.plaintexts.set(node.key, plaintext);
    return node;
  }

  /** A directory of this machine passed as an argument, with the engine's ignore patterns. */
  hostDirectory(path: string, name: string, ignore: string[] = []): Node {
    return this.store.make(null, "hostDirectory", { path, name, ignore }, "Directory");
  }

  private secretName(node: Node): string {
    const name =
      node.field === "setSecret"
        ? String(node.args.name)
        : String(node.args.uri ?? node.args.name ?? node.id).replace(/^env:\/\//, "");
    if (!this.model.secrets.includes(name)) this.model.secrets.push(name);
    return name;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const expected = `Basic ${Buffer.from(`${this.token}:`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end();
      return;
    }
    const { query } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { query: string };
    this.queries.push(query);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    this.inFlight--;
    let body: unknown;
    try {
      body = { data: this.execute(query) };
    } catch (error) {
      body = { data: null, errors: [this.errorBody(error)] };
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  private errorBody(error: unknown) {
    if (error instanceof ExecFailure) {
      return {
        message: error.message,
        extensions: {
          _type: "EXEC_ERROR",
          cmd: error.exec.argv,
          exitCode: error.exec.exitCode,
          stdout: error.stdout,
          stderr: error.stderr,
        },
      };
    }
    if (error instanceof EngineError) return { message: error.message };
    return {
      message: `harness: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    };
  }

  private execute(query: string): unknown {
    const document = parse(query);
    const operation = document.definitions[0];
    if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error("harness: no operation");
    const [selection] = operation.selectionSet.selections;
    if (!selection) throw new Error("harness: empty query");
    const field = fieldOf(selection);
    return { [field.name.value]: this.select(null, field) };
  }

  private select(parent: Node | null, field: FieldNode): unknown {
    const name = field.name.value;
    const args = Object.fromEntries(
      (field.arguments ?? []).map((a) => [a.name.value, literal(a.value)]),
    );
    const [childSelection] = field.selectionSet?.selections ?? [];
    if (!childSelection) return this.leaf(parent, name, args);
    const child = fieldOf(childSelection);
    const next = this.child(parent, name, args);
    if (Array.isArray(next)) {
      return next.map((n) => ({ [child.name.value]: this.select(n, child) }));
    }
    return { [child.name.value]: this.select(next, child) };
  }

  private child(parent: Node | null, name: string, args: Record<string, unknown>): Node | Node[] {
    if (parent === null && (name === "node" || /^load\w+FromID$/.test(name))) {
      const node = this.store.get(String(args.id));
      if (!node) throw new EngineError(`harness: unknown ID ${String(args.id)}`);
      return node;
    }
    if (parent?.kind === "FunctionCall" && name === "inputArgs") {
      return Object.entries(this.invocation?.inputArgs ?? {}).map(([argName, value]) =>
        this.store.make(
          parent,
          "inputArg",
          { name: argName, value: JSON.stringify(value) },
          "FunctionCallArgValue",
        ),
      );
    }
    const kind = parent === null ? rootKind(name) : childKind(parent.kind, name);
    const node = this.store.make(parent, name, args, kind);
    if (kind === "CacheVolume" && !this.model.cacheVolumes.includes(String(args.key))) {
      this.model.cacheVolumes.push(String(args.key));
    }
    return node;
  }

  private leaf(node: Node | null, name: string, args: Record<string, unknown>): unknown {
    if (node === null) {
      if (name === "version") return "v0.21.9";
      if (name === "defaultPlatform") return this.defaultPlatform;
      throw new EngineError(`harness: unsupported root leaf ${name}`);
    }
    if (name === "id") return node.id;
    const handler = this.leaves[node.kind]?.[name];
    if (!handler) throw new EngineError(`harness: unsupported leaf ${node.kind}.${name}`);
    return handler(node, args);
  }

  private writeExport(path: string, bytes: Buffer) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }

  private readonly leaves: Record<
    string,
    Record<string, (node: Node, args: Record<string, unknown>) => unknown>
  > = {
    CurrentModule: { name: () => this.moduleName },
    FunctionCall: {
      parentName: () => this.invocation?.parentName ?? "",
      name: () => this.invocation?.name ?? "",
      parent: () => JSON.stringify(this.invocation?.parent ?? {}),
      returnValue: (_node, args) => {
        this.result ??= { value: JSON.parse(String(args.value)) };
        return null;
      },
      returnError: (_node, args) => {
        const error = this.store.ref(args.error);
        this.result = {
          error: String(error ? NodeStore.chain(error)[0]?.args.message : args.error),
        };
        return null;
      },
    },
    FunctionCallArgValue: {
      name: (node) => node.args.name,
      value: (node) => node.args.value,
    },
    Secret: {
      plaintext: (node) => this.plaintexts.get(node.key) ?? String(node.args.plaintext ?? ""),
      name: (node) => this.secretName(node),
    },
    Container: {
      sync: (node) => {
        this.evaluator.materialize(node);
        return node.id;
      },
      stdout: (node) => this.evaluator.lastExec(node)?.stdout ?? "",
      stderr: (node) => this.evaluator.lastExec(node)?.stderr ?? "",
      exitCode: (node) => this.evaluator.lastExec(node)?.exitCode ?? 0,
      platform: (node) => this.evaluator.container(node).platform,
      envVariable: (node, args) => this.evaluator.container(node).env[String(args.name)] ?? null,
      label: (node, args) => {
        const state = this.evaluator.container(node);
        const name = String(args.name);
        if (state.labels[name] !== undefined) return state.labels[name];
        // A label of an image's config: read from the registry, as the engine resolves `from`.
        const pushed = state.image ? this.registry.images.get(state.image) : undefined;
        if (!pushed) {
          throw new EngineError(
            `failed to resolve source metadata for ${state.image}: ${state.image}: not found`,
          );
        }
        const variant = pushed.variants.find((v) => v.platform === state.platform);
        if (!variant) {
          throw new EngineError(
            `${state.image}: no match for platform ${state.platform} in manifest: not found`,
          );
        }
        return variant.labels[name] ?? null;
      },
      workdir: (node) => this.evaluator.container(node).workdir,
      user: (node) => this.evaluator.container(node).user ?? "",
      export: (node, args) => {
        const variants = (args.platformVariants as string[] | undefined) ?? [];
        for (const n of [node, ...variants.map((v) => this.nodeOf(v))])
          this.evaluator.materialize(n);
        const path = String(args.path);
        this.writeExport(path, Buffer.from(`placeholder image tarball ${node.id}\n`));
        this.model.exports.push({ kind: "Container", path, source: this.evaluator.describe(node) });
        return path;
      },
      publish: (node, args) => {
        const variants = ((args.platformVariants as string[] | undefined) ?? []).map((v) =>
          this.nodeOf(v),
        );
        const published = variants.length > 0 ? variants : [node];
        for (const n of [node, ...published]) this.evaluator.materialize(n);
        const summaries = published.map((n) => this.evaluator.summary(n));
        const digest = `sha256:${createDigest(published.map((n) => n.key).join("\n"))}`;
        const address = String(args.address);
        const record = {
          address,
          platforms: summaries.map((s) => s.platform),
          variants: summaries,
          registryAuth: this.evaluator.container(node).registryAuth,
          digest,
        };
        const answered = this.answers.publish?.(record);
        if (typeof answered === "string") record.digest = answered;
        this.model.publishes.push(record);
        this.registry.images.set(address, { digest: record.digest, variants: summaries });
        return `${address}@${record.digest}`;
      },
    },
    File: {
      sync: (node) => {
        this.evaluator.materialize(node);
        return node.id;
      },
      contents: (node) => {
        this.evaluator.materialize(node);
        return this.evaluator.bytes(node, true).toString("utf8");
      },
      name: (node) => posix.basename(String(node.args.path ?? node.field)),
      size: (node) => {
        this.evaluator.materialize(node);
        return this.evaluator.bytes(node, false).length;
      },
      digest: (node) => {
        this.evaluator.materialize(node);
        return this.evaluator.digest(node);
      },
      export: (node, args) => {
        this.evaluator.materialize(node);
        const path = String(args.path);
        this.writeExport(path, this.evaluator.bytes(node, false));
        this.model.exports.push({ kind: "File", path, source: this.evaluator.describe(node) });
        return path;
      },
    },
    Directory: {
      sync: (node) => {
        this.evaluator.materialize(node);
        return node.id;
      },
      entries: (node, args) => {
        this.evaluator.materialize(node);
        return this.evaluator.entries(node, args.path as string | undefined);
      },
      glob: (node, args) => {
        this.evaluator.materialize(node);
        return this.evaluator.glob(node, String(args.pattern));
      },
      exists: (node, args) => {
        this.evaluator.materialize(node);
        return this.evaluator.exists(
          node,
          String(args.path),
          args.expectedType as string | undefined,
        );
      },
      digest: (node) => {
        this.evaluator.materialize(node);
        return `sha256:${createDigest(node.key)}`;
      },
      export: (node, args) => {
        this.evaluator.materialize(node);
        const root = String(args.path);
        for (const rel of this.evaluator.listing(node).keys()) {
          const file = this.store.make(node, "file", { path: rel }, "File");
          this.writeExport(join(root, rel), this.evaluator.bytes(file, false));
        }
        mkdirSync(root, { recursive: true });
        this.model.exports.push({
          kind: "Directory",
          path: root,
          source: this.evaluator.describe(node),
        });
        return root;
      },
    },
  };

  /**
   * What `dagger call <fn> export --path <path>` does after the function returns a Directory or
   * File: evaluate it (running what it depends on) and write it here.
   */
  exportReturned(node: Node, path: string): string {
    const handler = this.leaves[node.kind]?.export;
    if (!handler) throw new Error(`harness: cannot export a ${node.kind}`);
    return handler(node, { path }) as string;
  }

  private nodeOf(id: string): Node {
    const node = this.store.get(id);
    if (!node) throw new EngineError(`harness: unknown ID ${id}`);
    return node;
  }
}

function createDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Looks inside the container a recorded command ran in. */
export function execContainer(engine: FakeEngine, index: number) {
  const node = engine.evaluator.execNodes[index];
  if (!node) throw new Error(`harness: no exec #${index}`);
  return {
    files: (path: string) => engine.evaluator.containerFiles(node, path),
    text: (path: string) => engine.evaluator.containerFileText(node, path),
    /** Real bytes of known or canned files, a placeholder naming the file otherwise. */
    bytes: (path: string) => engine.evaluator.containerFileBytes(node, path),
  };
}
