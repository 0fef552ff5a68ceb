import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as a fake saw it. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** The query exactly as sent, without the "?". */
  rawQuery: string;
  query: Record<string, string>;
  authorization: string | null;
  contentType: string | null;
  /** The parsed body of a JSON request; the raw text when it is not JSON. */
  body: unknown;
  status: number;
}

export interface Reply {
  status: number;
  json?: unknown;
}

/** A JSON-over-HTTP fake on 127.0.0.1 with a request log; subclasses answer the requests. */
export abstract class LocalJsonServer {
  readonly requests: LoggedRequest[] = [];
  private server: Server | null = null;
  private base = "";

  get url(): string {
    if (this.server === null) throw new Error(`${this.constructor.name} is not started`);
    return this.base;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      this.record(request)
        .then((logged) => {
          const reply = this.reply(logged);
          logged.status = reply.status;
          const headers = reply.json === undefined ? {} : { "content-type": "application/json" };
          response.writeHead(reply.status, headers);
          response.end(reply.json === undefined ? undefined : JSON.stringify(reply.json));
        })
        .catch((error: unknown) => {
          response.writeHead(500, { "content-type": "application/json" });
          response.end(JSON.stringify({ message: `fake failed: ${String(error)}` }));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  protected abstract reply(request: LoggedRequest): Reply;

  private async record(request: IncomingMessage): Promise<LoggedRequest> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown = text === "" ? null : text;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON: keep the text, so a fake can answer as the real service does.
    }
    const url = new URL(request.url ?? "/", this.base);
    const logged: LoggedRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      rawQuery: url.search.replace(/^\?/, ""),
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization ?? null,
      contentType: request.headers["content-type"] ?? null,
      body,
      status: 0,
    };
    this.requests.push(logged);
    return logged;
  }
}
