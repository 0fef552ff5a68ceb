import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One upload request, as the index received it. */
export interface Upload {
  authorization: string | undefined;
  fields: Record<string, string>;
  filename: string;
  sha256: string;
  status: number;
}

export interface FakePackageIndex {
  /** The legacy upload endpoint, like `https://upload.pypi.org/legacy/`. */
  publishUrl: string;
  /** The simple API root, like `https://pypi.org/simple/`. */
  checkUrl: string;
  uploads: Upload[];
  close: () => Promise<void>;
}

interface StoredFile {
  filename: string;
  sha256: string;
}

const SIMPLE_JSON = "application/vnd.pypi.simple.v1+json";

function normalize(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An index on 127.0.0.1 that behaves as PyPI does for uploads: it stores what it receives, lists
 * it in the simple API (PEP 691 JSON), accepts the same file again as a no-op and answers 400
 * "File already exists" for the same name with other content.
 */
export async function startFakePackageIndex(): Promise<FakePackageIndex> {
  const projects = new Map<string, StoredFile[]>();
  const uploads: Upload[] = [];

  async function upload(request: IncomingMessage, response: ServerResponse) {
    const form = await new Response(await body(request), {
      headers: { "content-type": request.headers["content-type"] ?? "" },
    }).formData();
    const content = form.get("content");
    if (!(content instanceof File)) {
      response.writeHead(400).end("no content");
      return;
    }
    const fields: Record<string, string> = {};
    for (const [key, value] of form) if (typeof value === "string") fields[key] = value;
    const sha256 = createHash("sha256")
      .update(Buffer.from(await content.arrayBuffer()))
      .digest("hex");
    const files = projects.get(normalize(fields.name ?? "")) ?? [];
    const existing = files.find((file) => file.filename === content.name);
    const status = existing && existing.sha256 !== sha256 ? 400 : 200;
    if (!existing) files.push({ filename: content.name, sha256 });
    projects.set(normalize(fields.name ?? ""), files);
    uploads.push({
      authorization: request.headers.authorization,
      fields,
      filename: content.name,
      sha256,
      status,
    });
    response.writeHead(status).end(status === 400 ? "400 File already exists" : "OK");
  }

  function simple(project: string, response: ServerResponse) {
    const files = projects.get(normalize(project));
    if (!files) {
      response.writeHead(404).end();
      return;
    }
    const listing = {
      meta: { "api-version": "1.0" },
      name: normalize(project),
      files: files.map(({ filename, sha256 }) => ({
        filename,
        url: `/files/${filename}`,
        hashes: { sha256 },
      })),
    };
    response.writeHead(200, { "content-type": SIMPLE_JSON }).end(JSON.stringify(listing));
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://index").pathname;
    const project = /^\/simple\/([^/]+)\/$/.exec(path)?.[1];
    if (request.method === "POST" && path === "/legacy/") {
      upload(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    } else if (request.method === "GET" && project !== undefined) {
      simple(project, response);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    publishUrl: `${base}/legacy/`,
    checkUrl: `${base}/simple/`,
    uploads,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // uv keeps its connections alive; close would wait for them.
        server.closeAllConnections();
      }),
  };
}
