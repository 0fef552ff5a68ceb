/**
 * Debian's docker-registry (distribution 2.8) on 127.0.0.1:<free port>, with its own
 * config and storage in a temp dir, no auth; and plain-HTTP pushes of a tiny two-platform
 * OCI image index (no Docker needed).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REGISTRY_BIN = "/usr/bin/docker-registry";
export const haveRegistry = existsSync(REGISTRY_BIN);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface LocalRegistry {
  host: string; // 127.0.0.1:PORT
  base: string; // http://127.0.0.1:PORT
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "registry-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log: {level: warn}",
      `storage: {filesystem: {rootdirectory: ${join(dir, "data")}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ["serve", config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/v2/`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: `127.0.0.1:${port}`,
    base,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export async function pushBlob(
  base: string,
  repo: string,
  data: Buffer,
): Promise<{ digest: string; size: number }> {
  const digest = sha(data);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
  const loc = new URL(start.headers.get("location") ?? "", base);
  loc.searchParams.set("digest", digest);
  const put = await fetch(loc, {
    method: "PUT",
    body: new Uint8Array(data),
    headers: { "content-type": "application/octet-stream" },
  });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return { digest, size: data.length };
}

export async function pushManifest(
  base: string,
  repo: string,
  ref: string,
  body: object,
  mediaType: string,
) {
  const data = Buffer.from(JSON.stringify(body));
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    method: "PUT",
    body: new Uint8Array(data),
    headers: { "content-type": mediaType },
  });
  if (res.status !== 201)
    throw new Error(`manifest push ${ref}: ${res.status} ${await res.text()}`);
  return { digest: sha(data), size: data.length, mediaType };
}

/** A two-platform index (linux/amd64, linux/arm64) whose layers are tiny tarballs-in-name-only. */
export async function pushTestIndex(base: string, repo: string, tag: string): Promise<string> {
  const manifests = [];
  for (const [os, architecture] of [
    ["linux", "amd64"],
    ["linux", "arm64"],
  ]) {
    const layer = await pushBlob(base, repo, Buffer.from(`layer for ${architecture}`));
    const config = await pushBlob(
      base,
      repo,
      Buffer.from(
        JSON.stringify({
          architecture,
          os,
          rootfs: { type: "layers", diff_ids: [layer.digest] },
          config: {},
        }),
      ),
    );
    const m = await pushManifest(
      base,
      repo,
      `${tag}-${architecture}`,
      {
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
      },
      "application/vnd.oci.image.manifest.v1+json",
    );
    manifests.push({ ...m, platform: { os, architecture } });
  }
  const index = await pushManifest(
    base,
    repo,
    tag,
    { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests },
    "application/vnd.oci.image.index.v1+json",
  );
  return index.digest;
}
