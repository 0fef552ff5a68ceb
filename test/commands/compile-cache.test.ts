import { describe, expect, it } from "vitest";
import {
  CompileCacheError,
  parseCompileCache,
  type SccacheVariable,
} from "../../lib/commands/compile-cache.js";
import { PlanError } from "../../lib/plan/errors.js";

const env = (vars: SccacheVariable[]) => Object.fromEntries(vars.map((v) => [v.name, v.value]));
const credentials = (vars: SccacheVariable[]) =>
  vars.filter((v) => v.credential).map((v) => v.name);

describe("gha", () => {
  it("enables the GitHub Actions cache on the v2 service and asks the runner for its variables", () => {
    const cache = parseCompileCache("gha");
    expect(cache.backend).toBe("gha");
    expect(env(cache.variables)).toEqual({
      SCCACHE_GHA_ENABLED: "on",
      ACTIONS_CACHE_SERVICE_V2: "on",
    });
    expect(cache.runtimeVariables).toEqual(["ACTIONS_RESULTS_URL", "ACTIONS_RUNTIME_TOKEN"]);
  });
  it("takes a version (a new cache namespace) and a read-only mode", () => {
    const cache = parseCompileCache("gha?version=rel-2&mode=read-only");
    expect(env(cache.variables)).toMatchObject({
      SCCACHE_GHA_VERSION: "rel-2",
      SCCACHE_GHA_RW_MODE: "READ_ONLY",
    });
  });
  it("refuses gha:// and unknown options", () => {
    expect(() => parseCompileCache("gha://x")).toThrow(/plain "gha"/);
    expect(() => parseCompileCache("gha?scope=x")).toThrow(/gha takes no option "scope"/);
    expect(() => parseCompileCache("gha?version=a/b")).toThrow(/version/);
    expect(() => parseCompileCache("ghax")).toThrow(CompileCacheError);
  });
});

describe("s3", () => {
  it("maps bucket, prefix, region and endpoint", () => {
    const cache = parseCompileCache(
      "s3://my-bucket/sccache/rust?region=eu-west-1&endpoint=https://minio.example:9000",
    );
    expect(env(cache.variables)).toEqual({
      SCCACHE_BUCKET: "my-bucket",
      SCCACHE_S3_KEY_PREFIX: "sccache/rust",
      SCCACHE_REGION: "eu-west-1",
      SCCACHE_ENDPOINT: "https://minio.example:9000",
    });
    expect(credentials(cache.variables)).toEqual([]);
  });
  it("maps user:password to the AWS keys, as credentials (percent-decoded)", () => {
    const cache = parseCompileCache("s3://AKIAEXAMPLE:s%2Fecret%2Bkey@bucket?region=auto");
    expect(env(cache.variables)).toMatchObject({
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "s/ecret+key",
    });
    expect(credentials(cache.variables)).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
  });
  it("maps ssl, path-style and anonymous", () => {
    const cache = parseCompileCache(
      "s3://bucket?ssl=false&path-style=true&anonymous=true&mode=read-only",
    );
    expect(env(cache.variables)).toEqual({
      SCCACHE_BUCKET: "bucket",
      SCCACHE_S3_USE_SSL: "false",
      SCCACHE_S3_ENABLE_VIRTUAL_HOST_STYLE: "false",
      SCCACHE_S3_NO_CREDENTIALS: "true",
      SCCACHE_S3_RW_MODE: "READ_ONLY",
    });
  });
  it("refuses bad buckets, half credentials, anonymous with keys and ports", () => {
    expect(() => parseCompileCache("s3://")).toThrow(/bucket/);
    expect(() => parseCompileCache("s3://My_Bucket")).toThrow(/bucket/);
    expect(() => parseCompileCache("s3://key@bucket")).toThrow(/both/);
    expect(() => parseCompileCache("s3://k:s@bucket?anonymous=true")).toThrow(/exclude/);
    expect(() => parseCompileCache("s3://bucket:9000")).toThrow(/port/);
    expect(() => parseCompileCache("s3://bucket?ssl=yes")).toThrow(/true or false/);
    expect(() => parseCompileCache("s3://bucket/a/../b")).toThrow(/segment/);
    expect(() => parseCompileCache("s3://bucket?endpoint=ftp://x")).toThrow(/http/);
  });
});

describe("redis", () => {
  it("keeps credentials out of the endpoint", () => {
    const cache = parseCompileCache(
      "redis://alice:p%40ss@cache.internal:6380/3?prefix=rel&ttl=604800",
    );
    expect(env(cache.variables)).toEqual({
      SCCACHE_REDIS_ENDPOINT: "redis://cache.internal:6380",
      SCCACHE_REDIS_DB: "3",
      SCCACHE_REDIS_USERNAME: "alice",
      SCCACHE_REDIS_PASSWORD: "p@ss",
      SCCACHE_REDIS_KEY_PREFIX: "rel",
      SCCACHE_REDIS_EXPIRATION: "604800",
    });
    expect(credentials(cache.variables)).toEqual([
      "SCCACHE_REDIS_USERNAME",
      "SCCACHE_REDIS_PASSWORD",
    ]);
    expect(cache.label).toBe("redis");
  });
  it("takes a password alone, TLS, IPv6 and no port", () => {
    expect(env(parseCompileCache("rediss://:secret@[::1]").variables)).toEqual({
      SCCACHE_REDIS_ENDPOINT: "rediss://[::1]",
      SCCACHE_REDIS_PASSWORD: "secret",
    });
    expect(env(parseCompileCache("redis://127.0.0.1:6379").variables)).toEqual({
      SCCACHE_REDIS_ENDPOINT: "redis://127.0.0.1:6379",
    });
  });
  it("refuses a non-numeric database, a user without password, #insecure and unix sockets", () => {
    expect(() => parseCompileCache("redis://h/db1")).toThrow(/database number/);
    expect(() => parseCompileCache("redis://bob@h")).toThrow(/needs a password/);
    expect(() => parseCompileCache("rediss://h#insecure")).toThrow(/fragment/);
    expect(() => parseCompileCache("unix:///tmp/redis.sock")).toThrow(/unix socket/);
    expect(() => parseCompileCache("redis://h?ttl=-1")).toThrow(/seconds/);
    expect(() => parseCompileCache("redis://h:99999")).toThrow(CompileCacheError);
  });
});

describe("webdav", () => {
  it("maps basic credentials and strips them from the endpoint", () => {
    const cache = parseCompileCache("webdav+https://ci:pw@dav.example/cache/rust?prefix=rel");
    expect(env(cache.variables)).toEqual({
      SCCACHE_WEBDAV_ENDPOINT: "https://dav.example/cache/rust",
      SCCACHE_WEBDAV_KEY_PREFIX: "rel",
      SCCACHE_WEBDAV_USERNAME: "ci",
      SCCACHE_WEBDAV_PASSWORD: "pw",
    });
  });
  it("maps an empty user name with a password to a bearer token", () => {
    const cache = parseCompileCache("webdav+http://:tok@127.0.0.1:8080/");
    expect(env(cache.variables)).toEqual({
      SCCACHE_WEBDAV_ENDPOINT: "http://127.0.0.1:8080",
      SCCACHE_WEBDAV_TOKEN: "tok",
    });
    expect(credentials(cache.variables)).toEqual(["SCCACHE_WEBDAV_TOKEN"]);
  });
  it("refuses plain http(s) and webdav:// with a pointer to webdav+https", () => {
    expect(() => parseCompileCache("https://dav.example")).toThrow(/webdav\+https/);
    expect(() => parseCompileCache("webdav://dav.example")).toThrow(/webdav\+https/);
    expect(() => parseCompileCache("webdav+ftp://dav.example")).toThrow(CompileCacheError);
  });
});

describe("local", () => {
  it("is sccache's disk cache, in a volume the stage mounts: only a size and a mode", () => {
    const cache = parseCompileCache("local?size=5G&mode=read-write");
    expect(cache.backend).toBe("local");
    expect(env(cache.variables)).toEqual({
      SCCACHE_CACHE_SIZE: "5G",
      SCCACHE_LOCAL_RW_MODE: "READ_WRITE",
    });
    expect(parseCompileCache("local").variables).toEqual([]);
  });
  it("refuses paths and bad sizes", () => {
    expect(() => parseCompileCache("local:/var/cache")).toThrow(/plain "local"/);
    expect(() => parseCompileCache("localdir")).toThrow(CompileCacheError);
    expect(() => parseCompileCache("local?size=lots")).toThrow(/size/);
    expect(() => parseCompileCache("local?dir=/x")).toThrow(/local takes no option "dir"/);
  });
});

describe("anything else", () => {
  it("is a PlanError: an error before any work, printed as it is", () => {
    expect(() => parseCompileCache("ftp://x")).toThrow(PlanError);
  });
  it("refuses ftp://x with the accepted forms", () => {
    expect(() => parseCompileCache("ftp://x")).toThrow(
      /^--compile-cache: unsupported scheme "ftp:" \(accepted: gha, s3:\/\/bucket/,
    );
  });
  it("refuses empty values, whitespace and values without scheme", () => {
    expect(() => parseCompileCache("")).toThrow(/empty/);
    expect(() => parseCompileCache("   ")).toThrow(/empty/);
    expect(() => parseCompileCache("redis://a b")).toThrow(/whitespace/);
    expect(() => parseCompileCache("127.0.0.1:6379")).toThrow(CompileCacheError);
    expect(() => parseCompileCache("memcached://h")).toThrow(/unsupported scheme "memcached:"/);
  });
  it("never repeats the value (it may hold a password) in an error", () => {
    const secrets = [
      "ftp://user:hunter2@x",
      "redis://bob:hunter2@h/db9",
      "s3://hunter2@bucket",
      "webdav+ftp://u:hunter2@h",
      "redis://u:hunter2@h?nope=1",
      "s3://k:hunter2@bucket?anonymous=true",
    ];
    for (const value of secrets) {
      let message = "";
      try {
        parseCompileCache(value);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain("hunter2");
    }
  });
  it("is trimmed, and schemes are case-insensitive", () => {
    expect(parseCompileCache("  REDIS://h:1  ").backend).toBe("redis");
  });
});
