import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { FakeEngine, type Invocation, type InvocationResult } from "./engine.js";
import type { Answers } from "./evaluator.js";
import type { RecordedModel } from "./model.js";
import { clientGenFile, listModuleFiles, REPO_ROOT } from "./module-files.js";
import type { Node } from "./nodes.js";
import { type ObjectSurface, SurfaceDecoder } from "./surface.js";

export { REPO_ROOT } from "./module-files.js";

/** An argument a test passes: plain JSON, or a Secret / host Directory as the CLI would make. */
export type ArgValue =
  | string
  | number
  | boolean
  | null
  | string[]
  | { secret: string; plaintext: string }
  | { directory: string }
  | { file: string };

/** `--token env://NAME` with NAME holding `plaintext`. */
export function secretArg(name: string, plaintext: string): ArgValue {
  return { secret: name, plaintext };
}

/** `--source ./path`: a directory of this machine, relative to the repository root. */
export function directoryArg(path: string): ArgValue {
  return { directory: path };
}

/** `--trust-config file://path`: a file of this machine (an absolute path, or the repository's). */
export function fileArg(path: string): ArgValue {
  return { file: path };
}

export interface CallOutcome {
  /** The function's return value (core objects come back as IDs; see `returned`). */
  value?: unknown;
  /** The error message the function returned, as `dagger call` would print it. */
  error?: string;
  /** When the function returned a Container, Directory or File: its node. */
  returned?: Node;
  model: RecordedModel;
  /** What the module printed while serving the call. */
  output: string;
  /**
   * How often the constructor and the function together called each function the runtime
   * counts (test/harness/count-hook.mjs), e.g. `parseTag`.
   */
  counts: Record<string, number>;
}

export interface CallOptions {
  /** Module-level flags: `dagger call --source=... <function>`. */
  module?: Record<string, ArgValue>;
  answers?: Answers;
  /**
   * How long the SDK's scan of src/ blocks the runtime's event loop in the function call, as
   * it does for seconds on a loaded machine (the connection sits idle meanwhile).
   */
  scanPauseMs?: number;
}

/** What the runtime process reports when it has served one invocation. */
interface RuntimeMessage {
  exitCode: number;
  crash?: string;
  /** Calls of the functions test/harness/count-hook.mjs counts, during the invocation. */
  counts?: Record<string, number>;
}

/**
 * Our module, served by the SDK's real entrypoint in a runtime process, against a fake engine.
 * `call("build", { target: "..." })` is what `dagger call build --target ...` does: the engine
 * first calls the constructor with the module-level flags, then the function on its result.
 */
export class ModuleUnderTest {
  readonly engine = new FakeEngine("rust-release");
  private runtime: ChildProcess | null = null;
  private output = "";
  private scratch = mkdtempSync(join(tmpdir(), "rust-release-harness-"));
  private files: string[] = [];
  private surfaceCache: ObjectSurface[] | null = null;
  private pending: ((message: RuntimeMessage) => void) | null = null;

  async start(): Promise<void> {
    await this.engine.start();
    this.files = [...listModuleFiles(join(REPO_ROOT, "src")), clientGenFile(this.scratch)];
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith("DAGGER_")) delete env[name];
    const runtime = spawn(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "test/harness/runtime.ts")],
      { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe", "ipc"] },
    );
    this.runtime = runtime;
    runtime.stdout?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString("utf8");
    });
    runtime.stderr?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString("utf8");
    });
    await new Promise<void>((ready, fail) => {
      runtime.once("message", () => ready());
      runtime.once("exit", (code) => fail(new Error(`runtime exited (${code}):\n${this.output}`)));
    });
    runtime.on("message", (message: RuntimeMessage) => {
      this.pending?.(message);
    });
  }

  async stop(): Promise<void> {
    const runtime = this.runtime;
    this.runtime = null;
    if (runtime && runtime.exitCode === null) {
      const exited = new Promise((done) => runtime.once("exit", done));
      runtime.kill();
      await exited;
    }
    await this.engine.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private async invoke(
    invocation: Invocation,
    scanPauseMs = 0,
  ): Promise<InvocationResult & { output: string; counts: Record<string, number> }> {
    const runtime = this.runtime;
    if (!runtime) throw new Error("harness: start() the module first");
    this.engine.invocation = invocation;
    this.engine.result = null;
    this.output = "";
    const done = new Promise<RuntimeMessage>((resolveDone) => {
      this.pending = resolveDone;
    });
    runtime.send({
      port: this.engine.port,
      token: this.engine.token,
      files: this.files,
      scanPauseMs,
    });
    const message = await done;
    this.pending = null;
    if (message.crash) throw new Error(`runtime crashed: ${message.crash}\n${this.output}`);
    const result = this.engine.result as InvocationResult | null;
    if (!result) throw new Error(`harness: the function returned nothing\n${this.output}`);
    if (message.exitCode !== 0 && !("error" in result)) {
      throw new Error(`runtime exited ${message.exitCode} without an error\n${this.output}`);
    }
    return { ...result, output: this.output, counts: message.counts ?? {} };
  }

  /** What the module registers with the engine: objects, functions, arguments, defaults, docs. */
  async surface(): Promise<ObjectSurface[]> {
    if (this.surfaceCache) return this.surfaceCache;
    const result = await this.invoke({ parentName: "", name: "", parent: {}, inputArgs: {} });
    if ("error" in result) throw new Error(`registration failed: ${result.error}`);
    const moduleNode = this.engine.store.ref(result.value);
    if (!moduleNode) throw new Error("harness: registration returned no module ID");
    this.surfaceCache = new SurfaceDecoder(this.engine.store).module(moduleNode);
    return this.surfaceCache;
  }

  private async mainObject(): Promise<ObjectSurface> {
    const surface = await this.surface();
    const main = surface.find((o) => o.name === "RustRelease");
    if (!main) throw new Error("harness: the module registers no RustRelease object");
    return main;
  }

  private encode(value: ArgValue, ignore: string[] = []): unknown {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      if ("secret" in value) return this.engine.secret(value.secret, value.plaintext).id;
      if ("file" in value) {
        const abs = resolve(REPO_ROOT, value.file);
        const dir = this.engine.hostDirectory(dirname(abs), dirname(value.file));
        return this.engine.store.make(dir, "file", { path: basename(abs) }, "File").id;
      }
      const abs = resolve(REPO_ROOT, value.directory);
      return this.engine.hostDirectory(abs, value.directory, ignore).id;
    }
    return value;
  }

  /**
   * Module-level flags as the engine passes them: given ones encoded, and a Directory flag
   * that has a `defaultPath` loaded from the repository with its ignore patterns applied.
   */
  private async constructorArgs(given: Record<string, ArgValue>): Promise<Record<string, unknown>> {
    const main = await this.mainObject();
    const args: Record<string, unknown> = {};
    for (const arg of main.constructorArgs) {
      const value = given[arg.name];
      if (value !== undefined) args[arg.name] = this.encode(value, arg.ignore);
      else if (arg.defaultPath) {
        args[arg.name] = this.encode(directoryArg(arg.defaultPath.replace(/^\//, "")), arg.ignore);
      }
    }
    const unknown = Object.keys(given).filter(
      (k) => !main.constructorArgs.some((a) => a.name === k),
    );
    if (unknown.length > 0) throw new Error(`harness: no module-level flag ${unknown.join(", ")}`);
    return args;
  }

  async call(
    fn: string,
    args: Record<string, ArgValue> = {},
    options: CallOptions = {},
  ): Promise<CallOutcome> {
    this.engine.reset(options.answers);
    const main = await this.mainObject();
    const declared = main.functions.find((f) => f.name === fn);
    if (!declared) throw new Error(`harness: no function ${fn}`);
    const unknown = Object.keys(args).filter((k) => !declared.args.some((a) => a.name === k));
    if (unknown.length > 0) throw new Error(`harness: ${fn} has no argument ${unknown.join(", ")}`);

    const constructed = await this.invoke({
      parentName: "RustRelease",
      name: "",
      parent: {},
      inputArgs: await this.constructorArgs(options.module ?? {}),
    });
    if ("error" in constructed) {
      return {
        error: constructed.error,
        model: this.engine.model,
        output: constructed.output,
        counts: constructed.counts,
      };
    }
    const encoded = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, this.encode(v)]));
    const result = await this.invoke(
      { parentName: "RustRelease", name: fn, parent: constructed.value, inputArgs: encoded },
      options.scanPauseMs,
    );
    const counts = { ...constructed.counts };
    for (const [name, n] of Object.entries(result.counts)) counts[name] = (counts[name] ?? 0) + n;
    if ("error" in result) {
      return { error: result.error, model: this.engine.model, output: result.output, counts };
    }
    const returned = this.engine.store.ref(result.value);
    return {
      value: result.value,
      ...(returned ? { returned } : {}),
      model: this.engine.model,
      output: result.output,
      counts,
    };
  }
}
