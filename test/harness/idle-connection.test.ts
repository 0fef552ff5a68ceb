import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ModuleUnderTest } from "./dagger-call.js";
import { FakeEngine } from "./engine.js";

// The SDK's entrypoint asks one query, scans src/ synchronously (seconds on a loaded machine),
// then reuses the same keep-alive connection. A real engine keeps it open; Node's HTTP server
// closes a connection after 5 s idle by default, and the SDK's next request then fails.
const IDLE_MS = 6_000;

const mod = new ModuleUnderTest();
beforeAll(() => mod.start());
afterAll(() => mod.stop());

/** Sends one query on an open connection and resolves with the raw HTTP response. */
function query(socket: Socket, engine: FakeEngine): Promise<string> {
  const body = JSON.stringify({ query: "{ defaultPlatform }" });
  const auth = Buffer.from(`${engine.token}:`).toString("base64");
  return new Promise((resolve, reject) => {
    let response = "";
    const onData = (chunk: Buffer) => {
      response += chunk.toString("utf8");
      if (response.includes("linux/amd64")) {
        socket.off("data", onData);
        resolve(response);
      }
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`the engine closed the connection: ${response}`)));
    socket.write(
      "POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n" +
        `Authorization: Basic ${auth}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

test("the engine keeps an idle keep-alive connection open, as a real engine does", async () => {
  const engine = new FakeEngine("rust-release");
  await engine.start();
  const socket = connect(engine.port, "127.0.0.1");
  try {
    expect(await query(socket, engine)).toContain('"defaultPlatform":"linux/amd64"');
    let closed = false;
    socket.once("end", () => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    expect(closed).toBe(false);
    expect(await query(socket, engine)).toContain('"defaultPlatform":"linux/amd64"');
  } finally {
    socket.destroy();
    await engine.stop();
  }
});

test("a module call whose runtime blocks longer than 5 s between two queries succeeds", async () => {
  const outcome = await mod.call("plan", { tag: "v0.1.5" }, { scanPauseMs: IDLE_MS });
  expect(outcome.error).toBeUndefined();
  expect(JSON.parse(String(outcome.value))).toMatchObject({ tag: "v0.1.5" });
});
