import { PlanError } from "../plan/errors.js";

/**
 * `--compile-cache` values -> the environment sccache 0.16 reads (mozilla/sccache, docs/*.md and
 * src/config.rs of 0.16.0). Accepted forms; anything else is refused before any work:
 *
 *   gha                                   the GitHub Actions cache (the runner's
 *   gha?version=V&mode=read-only          ACTIONS_RESULTS_URL / ACTIONS_RUNTIME_TOKEN come as their
 *                                         own module flags)
 *   s3://[KEY_ID:SECRET@]bucket[/prefix][?region=R&endpoint=HOST_OR_URL&ssl=&path-style=&anonymous=]
 *   redis://[user:password@]host[:port][/db][?prefix=P&ttl=SECONDS]   (rediss:// for TLS)
 *   webdav+https://[user:password@]host/path[?prefix=P]   (webdav+http://; `:TOKEN@` = bearer)
 *   local[?size=10G]                      sccache's disk cache in an engine cache volume per
 *                                         target (persistent engines, tests, benchmarks)
 *
 * Every backend also takes `mode=read-only|read-write` (sccache's *_RW_MODE).
 *
 * The value may hold credentials, so no error message repeats it: messages name the part that
 * is wrong, never the value. Every variable reaches the containers as a Dagger Secret; the
 * report, the plan and the logs only ever see `label` (the backend kind).
 */

export type CompileCacheBackend = "gha" | "s3" | "redis" | "webdav" | "local";

export interface SccacheVariable {
  name: string;
  value: string;
  /** A password, token or key: never a plain env variable, never in a log. */
  credential: boolean;
}

export interface CompileCache {
  backend: CompileCacheBackend;
  /** The variables that configure the backend, in a stable order. */
  variables: SccacheVariable[];
  /**
   * Variables the runner must provide (secrets from the workflow): for `gha`,
   * ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN.
   */
  runtimeVariables: string[];
  /** Safe to print (the backend kind only: no host, bucket or path). */
  label: string;
}

/** A --compile-cache value the module cannot use: raised before any work. */
export class CompileCacheError extends PlanError {
  override name = "CompileCacheError";
}

const ACCEPTED =
  "gha, s3://bucket[/prefix], redis://host[:port][/db], rediss://..., " +
  "webdav+https://host/path (or webdav+http://), local";

function fail(reason: string): never {
  throw new CompileCacheError(`--compile-cache: ${reason} (accepted: ${ACCEPTED})`);
}

type Options = Map<string, string>;

/** Query options, refusing repeats and names the backend does not take (typos must not pass). */
function readOptions(
  params: URLSearchParams,
  allowed: readonly string[],
  backend: string,
): Options {
  const options: Options = new Map();
  for (const [key, value] of params) {
    if (!allowed.includes(key)) {
      fail(
        `${backend} takes no option "${key}"; it takes ${allowed.map((a) => `"${a}"`).join(", ")}`,
      );
    }
    if (options.has(key)) fail(`option "${key}" is given twice`);
    if (value === "") fail(`option "${key}" has no value`);
    options.set(key, value);
  }
  return options;
}

function rwMode(options: Options, variable: string): SccacheVariable[] {
  const mode = options.get("mode");
  if (mode === undefined) return [];
  if (mode === "read-only") return [plain(variable, "READ_ONLY")];
  if (mode === "read-write") return [plain(variable, "READ_WRITE")];
  return fail(`option "mode" must be read-only or read-write`);
}

function bool(options: Options, key: string): boolean | undefined {
  const value = options.get(key);
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  return fail(`option "${key}" must be true or false`);
}

function plain(name: string, value: string): SccacheVariable {
  return { name, value, credential: false };
}

function credential(name: string, value: string): SccacheVariable {
  return { name, value, credential: true };
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return fail(`the ${what} is not valid percent-encoding`);
  }
}

/** A key prefix from a URL path: no leading or trailing slash, no empty or dot segments. */
function prefixFromPath(pathname: string, what: string): string | undefined {
  const trimmed = pathname.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return undefined;
  const segments = trimmed.split("/").map((s) => decode(s, what));
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    fail(`the ${what} has an empty, "." or ".." segment`);
  }
  return segments.join("/");
}

function parseUrl(value: string, scheme: string): URL {
  // WHATWG URL parsing folds "/a/../b" into "/b": refuse dot segments before it can.
  const rawPath = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(value)?.[1] ?? "";
  if (rawPath.split("/").some((s) => s === "." || s === ".." || /^%2e(%2e)?$/i.test(s))) {
    fail(`the path of a ${scheme} URL has a "." or ".." segment`);
  }
  try {
    return new URL(value);
  } catch {
    return fail(`not a valid ${scheme} URL`);
  }
}

function noFragment(url: URL, scheme: string): void {
  // rediss://...#insecure is sccache's switch that disables certificate checks: refused here.
  if (url.hash !== "") fail(`a ${scheme} URL takes no "#" fragment`);
}

function gha(rest: string): CompileCache {
  if (rest !== "" && !rest.startsWith("?")) fail(`"gha" takes only options, like gha?version=v2`);
  const options = readOptions(new URLSearchParams(rest.slice(1)), ["version", "mode"], "gha");
  const version = options.get("version");
  if (version !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(version)) {
    fail(`option "version" may hold only letters, digits, ".", "_" and "-"`);
  }
  return {
    backend: "gha",
    label: "gha",
    variables: [
      plain("SCCACHE_GHA_ENABLED", "on"),
      // opendal 0.55 (inside sccache 0.16) speaks the retired v1 cache API unless this is
      // non-empty; the v2 API is the one github.com serves.
      plain("ACTIONS_CACHE_SERVICE_V2", "on"),
      ...(version === undefined ? [] : [plain("SCCACHE_GHA_VERSION", version)]),
      ...rwMode(options, "SCCACHE_GHA_RW_MODE"),
    ],
    runtimeVariables: ["ACTIONS_RESULTS_URL", "ACTIONS_RUNTIME_TOKEN"],
  };
}

function s3(value: string): CompileCache {
  const url = parseUrl(value, "s3");
  noFragment(url, "s3");
  const bucket = url.hostname;
  // S3 bucket names: 3-63 of lowercase letters, digits, dots and hyphens (R2 and MinIO agree).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    fail("the s3 bucket name must be 3-63 lowercase letters, digits, dots or hyphens");
  }
  if (url.port !== "") fail("an s3 URL names a bucket, not a port: put the endpoint in ?endpoint=");
  const options = readOptions(
    url.searchParams,
    ["region", "endpoint", "ssl", "path-style", "anonymous", "mode"],
    "s3",
  );
  const variables: SccacheVariable[] = [plain("SCCACHE_BUCKET", bucket)];
  const prefix = prefixFromPath(url.pathname, "s3 key prefix");
  if (prefix !== undefined) variables.push(plain("SCCACHE_S3_KEY_PREFIX", prefix));
  const region = options.get("region");
  if (region !== undefined) {
    if (!/^[a-z0-9-]{2,32}$/.test(region)) fail(`option "region" is not a region name`);
    variables.push(plain("SCCACHE_REGION", region));
  }
  const endpoint = options.get("endpoint");
  if (endpoint !== undefined) {
    const probe = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
    let parsed: URL;
    try {
      parsed = new URL(probe);
    } catch {
      return fail(`option "endpoint" is not a host or URL`);
    }
    if (!["http:", "https:"].includes(parsed.protocol)) fail(`option "endpoint" must be http(s)`);
    if (parsed.username !== "" || parsed.password !== "") {
      fail(`option "endpoint" must not hold credentials: put them before the bucket`);
    }
    variables.push(plain("SCCACHE_ENDPOINT", endpoint));
  }
  const ssl = bool(options, "ssl");
  if (ssl !== undefined) variables.push(plain("SCCACHE_S3_USE_SSL", String(ssl)));
  const pathStyle = bool(options, "path-style");
  // sccache's switch is the opposite one: virtual-host style on/off.
  if (pathStyle !== undefined) {
    variables.push(plain("SCCACHE_S3_ENABLE_VIRTUAL_HOST_STYLE", String(!pathStyle)));
  }
  const anonymous = bool(options, "anonymous") ?? false;
  const keyId = decode(url.username, "s3 access key id");
  const secret = decode(url.password, "s3 secret access key");
  if (anonymous) {
    // sccache refuses SCCACHE_S3_NO_CREDENTIALS together with AWS keys.
    if (keyId !== "" || secret !== "") fail("anonymous=true and credentials exclude each other");
    variables.push(plain("SCCACHE_S3_NO_CREDENTIALS", "true"));
  } else if (keyId !== "" || secret !== "") {
    if (keyId === "" || secret === "") {
      fail("s3 credentials need both the access key id and the secret (KEY_ID:SECRET@bucket)");
    }
    variables.push(
      credential("AWS_ACCESS_KEY_ID", keyId),
      credential("AWS_SECRET_ACCESS_KEY", secret),
    );
  }
  variables.push(...rwMode(options, "SCCACHE_S3_RW_MODE"));
  return { backend: "s3", label: "s3", variables, runtimeVariables: [] };
}

function redis(value: string, scheme: "redis" | "rediss"): CompileCache {
  const url = parseUrl(value, scheme);
  noFragment(url, scheme);
  if (url.hostname === "") fail(`a ${scheme} URL needs a host`);
  const options = readOptions(url.searchParams, ["prefix", "ttl", "mode"], scheme);
  // The endpoint sccache gets carries no credentials (SCCACHE_REDIS_ENDPOINT; the deprecated
  // SCCACHE_REDIS took a full URL with the password inside).
  const host =
    url.hostname.includes(":") && !url.hostname.startsWith("[")
      ? `[${url.hostname}]`
      : url.hostname;
  const endpoint = `${scheme}://${host}${url.port === "" ? "" : `:${url.port}`}`;
  const variables: SccacheVariable[] = [plain("SCCACHE_REDIS_ENDPOINT", endpoint)];
  const path = url.pathname.replace(/^\/+/, "").replace(/\/+$/, "");
  if (path !== "") {
    if (!/^(0|[1-9][0-9]{0,4})$/.test(path))
      fail(`the path of a ${scheme} URL is a database number`);
    variables.push(plain("SCCACHE_REDIS_DB", path));
  }
  const user = decode(url.username, "redis user name");
  const password = decode(url.password, "redis password");
  if (user !== "") variables.push(credential("SCCACHE_REDIS_USERNAME", user));
  if (password !== "") variables.push(credential("SCCACHE_REDIS_PASSWORD", password));
  if (user !== "" && password === "") fail("a redis user name needs a password (user:password@)");
  const prefix = options.get("prefix");
  if (prefix !== undefined) variables.push(plain("SCCACHE_REDIS_KEY_PREFIX", prefix));
  const ttl = options.get("ttl");
  if (ttl !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(ttl)) fail(`option "ttl" is a number of seconds`);
    variables.push(plain("SCCACHE_REDIS_EXPIRATION", ttl));
  }
  variables.push(...rwMode(options, "SCCACHE_REDIS_RW_MODE"));
  return { backend: "redis", label: scheme, variables, runtimeVariables: [] };
}

function webdav(value: string): CompileCache {
  const inner = value.slice("webdav+".length);
  const url = parseUrl(inner, "webdav+http(s)");
  if (url.protocol !== "https:" && url.protocol !== "http:")
    fail("webdav takes webdav+https:// or webdav+http://");
  noFragment(url, "webdav");
  if (url.hostname === "") fail("a webdav URL needs a host");
  const options = readOptions(url.searchParams, ["prefix", "mode"], "webdav");
  const endpoint = `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  const variables: SccacheVariable[] = [plain("SCCACHE_WEBDAV_ENDPOINT", endpoint)];
  const prefix = options.get("prefix");
  if (prefix !== undefined) variables.push(plain("SCCACHE_WEBDAV_KEY_PREFIX", prefix));
  const user = decode(url.username, "webdav user name");
  const password = decode(url.password, "webdav password");
  if (user === "" && password !== "") {
    variables.push(credential("SCCACHE_WEBDAV_TOKEN", password));
  } else if (user !== "") {
    if (password === "") fail("a webdav user name needs a password (user:password@)");
    variables.push(
      credential("SCCACHE_WEBDAV_USERNAME", user),
      credential("SCCACHE_WEBDAV_PASSWORD", password),
    );
  }
  variables.push(...rwMode(options, "SCCACHE_WEBDAV_RW_MODE"));
  return {
    backend: "webdav",
    label: `webdav+${url.protocol.slice(0, -1)}`,
    variables,
    runtimeVariables: [],
  };
}

function local(rest: string): CompileCache {
  if (rest !== "" && !rest.startsWith("?")) {
    fail(
      `"local" takes only options, like local?size=5G (the directory is an engine cache volume)`,
    );
  }
  const options = readOptions(new URLSearchParams(rest.slice(1)), ["size", "mode"], "local");
  const variables: SccacheVariable[] = [];
  const size = options.get("size");
  if (size !== undefined) {
    if (!/^[1-9][0-9]*[KMGT]?$/.test(size)) fail(`option "size" is like 500M or 10G`);
    variables.push(plain("SCCACHE_CACHE_SIZE", size));
  }
  variables.push(...rwMode(options, "SCCACHE_LOCAL_RW_MODE"));
  return { backend: "local", label: "local", variables, runtimeVariables: [] };
}

/** Parses a `--compile-cache` value; throws CompileCacheError naming what is wrong (never the value). */
export function parseCompileCache(raw: string): CompileCache {
  const value = raw.trim();
  if (value === "") fail("the value is empty");
  // Whitespace, and control characters (below U+0020, U+007F) that a shell or URL would mangle.
  if (/\s/.test(value) || [...value].some((c) => c.charCodeAt(0) < 0x20 || c === "\x7f"))
    fail("the value contains whitespace or control characters");
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (value === "gha" || value.startsWith("gha?")) return gha(value.slice(3));
  if (value === "local" || value.startsWith("local?")) return local(value.slice(5));
  if (scheme === undefined) fail("the value has no scheme");
  switch (scheme) {
    case "s3":
      return s3(value);
    case "redis":
    case "rediss":
      return redis(value, scheme);
    case "webdav+https":
    case "webdav+http":
      return webdav(value);
    case "local":
      return fail(
        `write sccache's disk cache as plain "local": its directory is an engine cache volume`,
      );
    case "gha":
      return fail(`write the GitHub Actions cache as plain "gha"`);
    case "webdav":
    case "http":
    case "https":
      return fail(`say webdav+https:// (or webdav+http://) for a WebDAV server`);
    case "unix":
    case "redis+unix":
      return fail("redis over a unix socket cannot reach a build container: use redis://host:port");
    default:
      // The scheme is no secret; the rest of the value may be.
      return fail(`unsupported scheme "${scheme}:"`);
  }
}
