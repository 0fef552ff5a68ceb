import { connection, dag, ReturnType } from "@dagger.io/dagger";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { REPO_ROOT } from "./dagger-call.js";
import { FakeEngine } from "./engine.js";

/** The fake engine driven by the real SDK client, as module code drives it. */
const engine = new FakeEngine("rust-release");

beforeAll(async () => {
  await engine.start();
  process.env.DAGGER_SESSION_PORT = String(engine.port);
  process.env.DAGGER_SESSION_TOKEN = engine.token;
});
afterAll(async () => {
  delete process.env.DAGGER_SESSION_PORT;
  delete process.env.DAGGER_SESSION_TOKEN;
  await engine.stop();
});
beforeEach(() => engine.reset());

function withSdk<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    connection(async () => {
      resolve(await fn());
    }).catch(reject);
  });
}

describe("the fake engine, through the real SDK client", () => {
  test("records containers, argv, environment, cache mounts and secrets by name", async () => {
    engine.answers = { exec: (e) => ({ stdout: `ran ${e.argv.join(" ")}` }) };
    const token = dag.setSecret("pypi-token", "pypi-SUPERSECRET");
    const stdout = await withSdk(() =>
      dag
        .container({ platform: "linux/arm64" as never })
        .from("python:3.12-slim")
        .withMountedCache("/root/.cache", dag.cacheVolume("uv-cache"))
        .withEnvVariable("A", "1")
        .withSecretVariable("UV_PUBLISH_TOKEN", token)
        .withWorkdir("/work")
        .withExec(["uv", "publish"])
        .stdout(),
    );
    expect(stdout).toBe("ran uv publish");
    expect(engine.model.execs).toEqual([
      expect.objectContaining({
        platform: "linux/arm64",
        image: "python:3.12-slim",
        argv: ["uv", "publish"],
        workdir: "/work",
        env: { A: "1" },
        secretEnv: { UV_PUBLISH_TOKEN: "pypi-token" },
        mounts: { "/root/.cache": { type: "cache", key: "uv-cache", sharing: "SHARED" } },
      }),
    ]);
    expect(engine.model.cacheVolumes).toEqual(["uv-cache"]);
    expect(JSON.stringify(engine.model)).not.toContain("SUPERSECRET");
  });

  test("an injected failure reaches the SDK as an ExecError with exit code and stderr", async () => {
    engine.answers = { exec: () => ({ exitCode: 3, stderr: "boom" }) };
    const error = await withSdk(() =>
      dag
        .container()
        .from("alpine")
        .withExec(["false"])
        .sync()
        .then(
          () => null,
          (e: unknown) => e,
        ),
    );
    expect(error).toMatchObject({ name: "ExecError", exitCode: 3, stderr: "boom" });
  });

  test("expect: ANY lets a failing command through", async () => {
    engine.answers = { exec: () => ({ exitCode: 1, stdout: "partial" }) };
    const code = await withSdk(() =>
      dag.container().from("alpine").withExec(["check"], { expect: ReturnType.Any }).exitCode(),
    );
    expect(code).toBe(1);
  });

  test("the same value asked for twice runs its commands once, like the engine's cache", async () => {
    await withSdk(async () => {
      const built = dag.container().from("rust").withExec(["cargo", "build"]);
      await built.stdout();
      await built.withExec(["ls"]).stdout();
    });
    expect(engine.model.execs.map((e) => e.argv)).toEqual([["cargo", "build"], ["ls"]]);
  });

  test("host directories are real; produced files come from canned answers", async () => {
    const source = engine.hostDirectory(`${REPO_ROOT}/example`, "example", ["**/target"]);
    engine.answers = { file: ({ path }) => (path === "/out/v.txt" ? "0.1.0\n" : undefined) };
    const [cargoToml, produced, entries] = await withSdk(async () => {
      const dir = dag.loadDirectoryFromID(source.id as never);
      const built = dag.container().from("rust").withDirectory("/src", dir).withExec(["make"]);
      return Promise.all([
        dir.file("Cargo.toml").contents(),
        built.file("/out/v.txt").contents(),
        dir.entries(),
      ]);
    });
    expect(cargoToml).toContain('name = "sample-usage"');
    expect(produced).toBe("0.1.0\n");
    expect(entries).not.toContain("target/");
    expect(entries).toContain("Cargo.lock");
  });

  test("a multi-platform publish records each variant and registry auth by secret name", async () => {
    const ref = await withSdk(async () => {
      const password = dag.setSecret("ghcr-token", "ghp_SECRET");
      const variants = ["linux/amd64", "linux/arm64"].map((p) =>
        dag
          .container({ platform: p as never })
          .from("debian:bookworm-slim")
          .withLabel("a", "b"),
      );
      return dag
        .container()
        .withRegistryAuth("ghcr.io", "octo", password)
        .publish("ghcr.io/octo/app:v1", { platformVariants: variants });
    });
    expect(ref).toMatch(/^ghcr\.io\/octo\/app:v1@sha256:[0-9a-f]{64}$/);
    expect(engine.model.publishes).toHaveLength(1);
    expect(engine.model.publishes[0]?.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(engine.model.secrets).toContain("ghcr-token");
    expect(JSON.stringify(engine.model)).not.toContain("ghp_SECRET");
  });
});
