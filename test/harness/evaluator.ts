import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative } from "node:path";
import { globMatches, isExcluded, isIncluded } from "./globs.js";
import { imageEnvironment } from "./image-configs.js";
import type { ContainerSummary, ExecRecord, Mount, PublishRecord, RecordedModel } from "./model.js";
import { REPO_ROOT } from "./module-files.js";
import { type Node, NodeStore } from "./nodes.js";

/** Canned answers a test gives for what only a real engine could know. */
export interface Answers {
  /** The result of a command; unanswered commands succeed with empty output. */
  exec?(exec: ExecRecord): { stdout?: string; stderr?: string; exitCode?: number } | undefined;
  /** The bytes of a file a command produced (unanswered: a placeholder naming the file). */
  file?(request: ProducedFile): string | Buffer | undefined;
  /** The names in a directory a command produced (unanswered: empty). */
  entries?(request: ProducedFile): string[] | undefined;
  /**
   * Told of each push as it happens (to check what else had happened by then); may answer the
   * index digest the registry returned (a test that pushed a real index to a local registry).
   */
  publish?(record: PublishRecord): string | undefined;
  /** The environment an image's config sets (unanswered: what image-configs.ts knows). */
  imageEnv?(address: string): Record<string, string> | undefined;
}

export interface ProducedFile {
  container: ContainerSummary;
  path: string;
}

/** Where a file's bytes come from, and the modification time it was given, if any. */
export type FileSource = (
  | { kind: "host"; abs: string; describe: string }
  | { kind: "inline"; contents: string; describe: string }
  | { kind: "produced"; container: Node; path: string; describe: string }
  | { kind: "tarball"; container: Node; describe: string }
) & { mtime?: number };

/** An error the engine reports for a failed command (the SDK turns it into an ExecError). */
export class ExecFailure extends Error {
  constructor(
    readonly exec: ExecRecord,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `process "${exec.argv.join(" ")}" did not complete successfully: exit code: ${exec.exitCode}`,
    );
  }
}

interface ContainerState extends ContainerSummary {
  files: Map<string, FileSource>;
}

const DEFAULT_PLATFORM = "linux/amd64";

function absolute(workdir: string, path: string): string {
  return posix.resolve(workdir || "/", path);
}

function hostListing(root: string, ignore: string[]): Map<string, FileSource> {
  const files = new Map<string, FileSource>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const abs = join(dir, entry);
      const rel = relative(root, abs).split("\\").join("/");
      if (isExcluded(rel, ignore)) continue;
      if (statSync(abs).isDirectory()) walk(abs);
      else files.set(rel, { kind: "host", abs, describe: `host:${rel}` });
    }
  };
  walk(root);
  return files;
}

/**
 * What the engine loads of this module (`dag.currentModule().source()`): the repository, as git
 * holds it; what .gitignore leaves out never reaches the engine.
 */
const MODULE_IGNORE = ["node_modules", ".git", "sdk", "dist", "**/target", "**/__pycache__"];

/** Folds node chains into containers, directories and files, and runs what must run. */
export class Evaluator {
  private containers = new Map<string, ContainerState>();
  private listings = new Map<string, Map<string, FileSource>>();
  private materialized = new Map<string, ExecFailure | null>();
  private execResults = new Map<string, { stdout: string; stderr: string; exitCode: number }>();
  private seenContainers = new Set<string>();
  /** The container node of each recorded exec, by index (for tests that look inside). */
  readonly execNodes: Node[] = [];

  constructor(
    private store: NodeStore,
    private model: RecordedModel,
    private answers: () => Answers,
    private secretName: (node: Node) => string,
  ) {}

  describe(node: Node): string {
    switch (node.kind) {
      case "Container": {
        const state = this.container(node);
        return `container(${state.platform} ${state.image ?? state.rootfs ?? "scratch"})`;
      }
      case "Directory":
        if (node.field === "hostDirectory") return `host:${String(node.args.name)}`;
        if (node.parent?.kind === "CurrentModule") return "module-source";
        if (node.parent?.kind === "Container" && node.field === "directory") {
          return `${this.describe(node.parent)}:${String(node.args.path)}`;
        }
        return node.parent ? this.describe(node.parent) : "directory()";
      case "File": {
        const source = this.fileSource(node);
        return source.describe;
      }
      case "Secret":
        return `secret:${this.secretName(node)}`;
      case "CacheVolume":
        return `cache:${String(node.args.key)}`;
      default:
        return node.kind;
    }
  }

  container(node: Node): ContainerState {
    const cached = this.containers.get(node.key);
    if (cached) return cached;
    const state = this.foldContainer(node);
    this.containers.set(node.key, state);
    return state;
  }

  summary(node: Node): ContainerSummary {
    const { files: _files, ...summary } = this.container(node);
    return structuredClone(summary);
  }

  private foldContainer(node: Node): ContainerState {
    if (node.parent === null || node.parent.kind !== "Container") {
      return {
        platform: (node.args.platform as string | undefined) ?? DEFAULT_PLATFORM,
        image: null,
        rootfs: null,
        workdir: "/",
        user: null,
        env: {},
        secretEnv: {},
        mounts: {},
        contents: {},
        entrypoint: null,
        defaultArgs: null,
        labels: {},
        registryAuth: [],
        execs: [],
        other: [],
        files: new Map(),
      };
    }
    const prev = this.container(node.parent);
    const { files, ...rest } = prev;
    const state: ContainerState = { ...structuredClone(rest), files: new Map(files) };
    const a = node.args;
    const path = typeof a.path === "string" ? absolute(state.workdir, a.path) : "";
    switch (node.field) {
      case "from":
        state.image = String(a.address);
        state.rootfs = null;
        state.files = new Map();
        state.env = this.answers().imageEnv?.(state.image) ?? imageEnvironment(state.image);
        break;
      case "withRootfs":
        state.image = null;
        state.rootfs = this.describeRef(a.directory);
        state.files = this.prefixed(this.listingOf(a.directory), "/");
        break;
      case "withWorkdir":
        state.workdir = path;
        break;
      case "withUser":
        state.user = String(a.name);
        break;
      case "withEnvVariable":
        state.env[String(a.name)] = String(a.value);
        break;
      case "withoutEnvVariable":
        delete state.env[String(a.name)];
        break;
      case "withSecretVariable":
        state.secretEnv[String(a.name)] = this.secretName(this.ref(a.secret));
        break;
      case "withoutSecretVariable":
        delete state.secretEnv[String(a.name)];
        break;
      case "withMountedCache":
        state.mounts[path] = {
          type: "cache",
          key: String(this.ref(a.cache).args.key),
          sharing: String(a.sharing ?? "SHARED"),
        };
        break;
      case "withMountedDirectory":
        state.mounts[path] = {
          type: "directory",
          source: this.describeRef(a.source),
          readOnly: a.readOnly === true,
        };
        this.mergeInto(state.files, path, this.listingOf(a.source));
        break;
      case "withMountedFile":
        state.mounts[path] = { type: "file", source: this.describeRef(a.source) };
        state.files.set(path, this.fileSource(this.ref(a.source)));
        break;
      case "withMountedSecret":
        state.mounts[path] = { type: "secret", secret: this.secretName(this.ref(a.source)) };
        break;
      case "withMountedTemp":
        state.mounts[path] = { type: "tmpfs" };
        break;
      case "withDirectory": {
        const listing = this.filtered(this.listingOf(a.source), a.include, a.exclude);
        state.contents[path] = this.describeRef(a.source);
        this.mergeInto(state.files, path, listing);
        break;
      }
      case "withFile":
        state.contents[path] = this.describeRef(a.source);
        state.files.set(path, this.fileSource(this.ref(a.source)));
        break;
      case "withNewFile":
        state.contents[path] = "inline";
        state.files.set(path, {
          kind: "inline",
          contents: String(a.contents ?? ""),
          describe: `inline:${path}`,
        });
        break;
      case "withEntrypoint":
        state.entrypoint = a.args as string[];
        break;
      case "withDefaultArgs":
        state.defaultArgs = a.args as string[];
        break;
      case "withLabel":
        state.labels[String(a.name)] = String(a.value);
        break;
      case "withRegistryAuth":
        state.registryAuth.push({
          address: String(a.address),
          username: String(a.username),
          secret: this.secretName(this.ref(a.secret)),
        });
        break;
      case "withExec":
        state.execs.push(a.args as string[]);
        break;
      default:
        state.other.push({ op: node.field, args: a });
    }
    return state;
  }

  private ref(value: unknown): Node {
    const node = this.store.ref(value);
    if (!node) throw new Error(`harness: unknown ID ${JSON.stringify(value)}`);
    return node;
  }

  private describeRef(value: unknown): string {
    return this.describe(this.ref(value));
  }

  private prefixed(listing: Map<string, FileSource>, base: string): Map<string, FileSource> {
    const out = new Map<string, FileSource>();
    for (const [rel, source] of listing) out.set(posix.join(base, rel), source);
    return out;
  }

  private mergeInto(
    files: Map<string, FileSource>,
    base: string,
    listing: Map<string, FileSource>,
  ) {
    for (const [rel, source] of listing) files.set(posix.join(base, rel), source);
  }

  private filtered(listing: Map<string, FileSource>, include: unknown, exclude: unknown) {
    const inc = Array.isArray(include) ? (include as string[]) : undefined;
    const exc = Array.isArray(exclude) ? (exclude as string[]) : [];
    const out = new Map<string, FileSource>();
    for (const [rel, source] of listing) {
      if (isIncluded(rel, inc) && !isExcluded(rel, exc)) out.set(rel, source);
    }
    return out;
  }

  /** The files of a Directory value, relative to it. */
  listing(node: Node): Map<string, FileSource> {
    const cached = this.listings.get(node.key);
    if (cached) return cached;
    const listing = this.foldListing(node);
    this.listings.set(node.key, listing);
    return listing;
  }

  private listingOf(value: unknown): Map<string, FileSource> {
    return this.listing(this.ref(value));
  }

  private foldListing(node: Node): Map<string, FileSource> {
    const a = node.args;
    if (node.field === "hostDirectory") {
      return hostListing(String(a.path), (a.ignore as string[] | undefined) ?? []);
    }
    // `dag.host().directory(path)` in a module: the module's runtime file system (here, this
    // machine's, where the runtime process writes what it downloads).
    if (node.parent?.kind === "Host" && node.field === "directory") {
      return this.filtered(hostListing(String(a.path), []), a.include, a.exclude);
    }
    if (node.parent?.kind === "CurrentModule" && node.field === "source") {
      return hostListing(REPO_ROOT, MODULE_IGNORE);
    }
    if (node.parent === null) return new Map();
    if (node.parent.kind === "Container" && node.field === "directory") {
      return this.containerDirectory(node.parent, String(a.path));
    }
    const prev = this.listing(node.parent);
    const sub = (p: unknown) => posix.normalize(String(p)).replace(/^\/+|\/+$/g, "");
    switch (node.field) {
      case "directory": {
        const base = sub(a.path);
        const out = new Map<string, FileSource>();
        for (const [rel, source] of prev) {
          if (rel.startsWith(`${base}/`)) out.set(rel.slice(base.length + 1), source);
        }
        return out;
      }
      case "withDirectory": {
        const out = new Map(prev);
        const listing = this.filtered(this.listingOf(a.source), a.include, a.exclude);
        for (const [rel, source] of listing) out.set(posix.join(sub(a.path), rel), source);
        return out;
      }
      case "withFile":
        return new Map(prev).set(sub(a.path), this.fileSource(this.ref(a.source)));
      case "withNewFile":
        return new Map(prev).set(sub(a.path), {
          kind: "inline",
          contents: String(a.contents ?? ""),
          describe: `inline:${sub(a.path)}`,
        });
      case "withoutFile":
      case "withoutDirectory":
      case "withoutFiles": {
        const paths = (a.paths as string[] | undefined) ?? [String(a.path)];
        const out = new Map(prev);
        for (const rel of prev.keys()) {
          if (paths.some((p) => rel === sub(p) || rel.startsWith(`${sub(p)}/`))) out.delete(rel);
        }
        return out;
      }
      case "filter":
        return this.filtered(prev, a.include, a.exclude);
      case "withTimestamps":
        return new Map(
          [...prev].map(([rel, source]) => [rel, { ...source, mtime: Number(a.timestamp) }]),
        );
      default:
        return prev;
    }
  }

  /** What a container holds under a path: known files, else what the test says was produced. */
  private containerDirectory(container: Node, path: string): Map<string, FileSource> {
    const state = this.container(container);
    const base = absolute(state.workdir, path);
    const prefix = base === "/" ? "/" : `${base}/`;
    const out = new Map<string, FileSource>();
    for (const [abs, source] of state.files) {
      if (abs.startsWith(prefix)) out.set(abs.slice(prefix.length), source);
    }
    const produced = this.answers().entries?.({ container: this.summary(container), path: base });
    for (const name of produced ?? []) {
      const file = posix.join(base, name);
      out.set(name, {
        kind: "produced",
        container,
        path: file,
        describe: this.producedName(container, file),
      });
    }
    return out;
  }

  private producedName(container: Node, path: string): string {
    return `${this.describe(container)}:${path}`;
  }

  fileSource(node: Node): FileSource {
    const parent = node.parent;
    if (node.kind !== "File" || parent === null)
      throw new Error(`harness: ${node.kind} is not a file`);
    if (parent.kind === "Container" && node.field === "asTarball") {
      return { kind: "tarball", container: parent, describe: `tarball(${this.describe(parent)})` };
    }
    if (parent.kind === "Container" && node.field === "file") {
      const state = this.container(parent);
      const abs = absolute(state.workdir, String(node.args.path));
      return (
        state.files.get(abs) ?? {
          kind: "produced",
          container: parent,
          path: abs,
          describe: this.producedName(parent, abs),
        }
      );
    }
    if (parent.kind === "Directory" && node.field === "file") {
      const rel = posix.normalize(String(node.args.path)).replace(/^\/+/, "");
      const source = this.listing(parent).get(rel) ?? this.producedInto(parent, rel);
      if (!source) throw new EngineError(`${String(node.args.path)}: no such file or directory`);
      return source;
    }
    if (parent.kind === "File") return this.fileSource(parent);
    throw new Error(`harness: cannot resolve file from ${parent.kind}.${node.field}`);
  }

  /**
   * A file asked of a directory a command wrote (`container.directory(path).file(name)`) that
   * the test gave no listing for: assumed to be there, with canned or placeholder bytes.
   */
  private producedInto(directory: Node, rel: string): FileSource | null {
    const container = directory.parent;
    if (container?.kind !== "Container" || directory.field !== "directory") return null;
    const state = this.container(container);
    const path = posix.join(absolute(state.workdir, String(directory.args.path)), rel);
    if (
      !this.answers().entries?.({ container: this.summary(container), path: posix.dirname(path) })
    ) {
      return { kind: "produced", container, path, describe: this.producedName(container, path) };
    }
    return null;
  }

  /** The bytes of a file: real for host and inline files, canned or a placeholder otherwise. */
  bytes(node: Node, strict: boolean): Buffer {
    const source = this.fileSource(node);
    switch (source.kind) {
      case "host":
        return readFileSync(source.abs);
      case "inline":
        return Buffer.from(source.contents);
      case "produced": {
        const answer = this.answers().file?.({
          container: this.summary(source.container),
          path: source.path,
        });
        if (answer !== undefined) return Buffer.from(answer);
        if (strict) throw new EngineError(`harness: no canned contents for ${source.describe}`);
        return Buffer.from(`placeholder for ${source.describe}\n`);
      }
      case "tarball":
        return Buffer.from(`placeholder tarball of ${source.describe}\n`);
    }
  }

  digest(node: Node): string {
    return `sha256:${createHash("sha256").update(this.bytes(node, false)).digest("hex")}`;
  }

  /**
   * Runs every command the value depends on, once each, in dependency order; the first failure
   * stops evaluation, as in the engine.
   */
  materialize(node: Node): void {
    if (this.materialized.has(node.key)) {
      const failure = this.materialized.get(node.key);
      if (failure) throw failure;
      return;
    }
    try {
      if (node.parent) this.materialize(node.parent);
      for (const value of Object.values(node.args)) {
        for (const ref of [value].flat()) {
          const dep = this.store.ref(ref);
          if (dep && dep.kind !== "Secret" && dep.kind !== "CacheVolume") this.materialize(dep);
        }
      }
      if (node.kind === "Container" && node.field === "withExec") this.run(node);
      this.materialized.set(node.key, null);
    } catch (error) {
      if (error instanceof ExecFailure) this.materialized.set(node.key, error);
      throw error;
    }
  }

  private run(node: Node): void {
    const state = this.container(node);
    const containerKey = `${state.platform} ${state.image}`;
    if (!this.seenContainers.has(containerKey)) {
      this.seenContainers.add(containerKey);
      this.model.containers.push({ platform: state.platform, image: state.image });
    }
    const expect = String(node.args.expect ?? "SUCCESS");
    const exec: ExecRecord = {
      platform: state.platform,
      image: state.image,
      // With useEntrypoint the engine runs the entrypoint with these as its arguments.
      argv: [
        ...(node.args.useEntrypoint === true ? (state.entrypoint ?? []) : []),
        ...(node.args.args as string[]),
      ],
      workdir: state.workdir,
      user: state.user,
      env: { ...state.env },
      secretEnv: { ...state.secretEnv },
      mounts: structuredClone(state.mounts) as Record<string, Mount>,
      contents: { ...state.contents },
      expect,
      exitCode: 0,
    };
    const answer = this.answers().exec?.(exec) ?? {};
    exec.exitCode = answer.exitCode ?? 0;
    const result = {
      stdout: answer.stdout ?? "",
      stderr: answer.stderr ?? "",
      exitCode: exec.exitCode,
    };
    this.model.execs.push(exec);
    this.execNodes.push(node);
    this.execResults.set(node.key, result);
    const failed =
      (expect === "SUCCESS" && exec.exitCode !== 0) ||
      (expect === "FAILURE" && exec.exitCode === 0);
    if (failed) throw new ExecFailure(exec, result.stdout, result.stderr);
  }

  /** The files a container holds under a directory, as relative paths (known files only). */
  containerFiles(node: Node, path: string): string[] {
    return [...this.containerDirectory(node, path).keys()].sort();
  }

  /** Where a file in a container comes from (its source and any timestamp it was given). */
  containerFileSource(node: Node, path: string): FileSource {
    return this.fileSource(this.store.make(node, "file", { path }, "File"));
  }

  containerFileBytes(node: Node, path: string): Buffer {
    return this.bytes(this.store.make(node, "file", { path }, "File"), false);
  }

  /** The text of a file in a container, when its contents are known or canned. */
  containerFileText(node: Node, path: string): string {
    const file = this.store.make(node, "file", { path }, "File");
    return this.bytes(file, true).toString("utf8");
  }

  /** The result of the last command in a container's chain, running what it needs. */
  lastExec(node: Node) {
    this.materialize(node);
    for (let n: Node | null = node; n && n.kind === "Container"; n = n.parent) {
      if (n.field === "withExec") return this.execResults.get(n.key) ?? null;
    }
    return null;
  }

  entries(node: Node, path?: string): string[] {
    const base = path ? posix.normalize(path).replace(/^\/+|\/+$/g, "") : "";
    const names = new Set<string>();
    for (const rel of this.listing(node).keys()) {
      if (base && !rel.startsWith(`${base}/`)) continue;
      const rest = base ? rel.slice(base.length + 1) : rel;
      const first = rest.split("/")[0];
      if (first) names.add(rest.includes("/") ? `${first}/` : first);
    }
    return [...names].sort();
  }

  exists(node: Node, path: string, expectedType?: string): boolean {
    const rel = posix.normalize(path).replace(/^\/+|\/+$/g, "");
    const listing = this.listing(node);
    const isFile = listing.has(rel);
    const isDirectory = [...listing.keys()].some((p) => p.startsWith(`${rel}/`));
    if (expectedType === "REGULAR_TYPE") return isFile;
    if (expectedType === "DIRECTORY_TYPE") return isDirectory;
    return isFile || isDirectory;
  }

  glob(node: Node, pattern: string): string[] {
    const out = new Set<string>();
    for (const rel of this.listing(node).keys()) {
      const parts = rel.split("/");
      for (let n = 1; n <= parts.length; n++) {
        const prefix = parts.slice(0, n).join("/");
        if (globMatches(prefix, pattern)) out.add(n < parts.length ? `${prefix}/` : prefix);
      }
    }
    return [...out].map((p) => p.replace(/\/$/, "")).sort();
  }
}

/** An error answered to the SDK as a GraphQL error. */
export class EngineError extends Error {}

export { NodeStore };
