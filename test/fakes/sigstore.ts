/**
 * A private Sigstore on 127.0.0.1 (from the issue-20 research prototypes): @sigstore/mock's Fulcio, Rekor (v1) and timestamp
 * authority handlers behind a real node:http server, plus the trusted root
 * (application/vnd.dev.sigstore.trustedroot+json;version=0.1) that verifies what it issues.
 *
 * @sigstore/mock itself only installs `nock` interceptors (in-process, no socket). Its
 * handler factories (initializeCA, fulcioHandler, ...) are exported, so we serve them here
 * so that other processes (sigstore-python, cosign, uv) and the real fetch path of
 * @sigstore/sign reach them as they would reach the public services.
 *
 * Fulcio mapping: real Fulcio gives a GitHub Actions token the SAN
 * `https://github.com/<job_workflow_ref>`; the mock takes the SAN from one claim, so the
 * server adds that claim (`x-fulcio-san`) to the token before the mock handler reads it.
 * It also refuses a token whose `aud` is not "sigstore", as real Fulcio does.
 */
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from "@sigstore/mock";

type HandlerFn = (body: string) => Promise<{
  statusCode: number;
  response: string | ArrayBufferView;
  contentType?: string;
}>;

export interface FakeSigstore {
  url: string;
  fulcioURL: string;
  rekorURL: string;
  tsaURL: string;
  /** protobuf-JSON TrustedRoot that verifies everything this instance issues */
  trustedRoot: TrustedRootJSON;
  /** every request seen, path + parsed JSON body */
  requests: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

export type TrustedRootJSON = Record<string, unknown>;

const SAN_CLAIM = "x-fulcio-san";

function b64(buf: ArrayBuffer | ArrayBufferView | Buffer): string {
  if (Buffer.isBuffer(buf)) return buf.toString("base64");
  if (ArrayBuffer.isView(buf))
    return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("base64");
  return Buffer.from(buf).toString("base64");
}

function keyId(spkiDer: Buffer): string {
  return createHash("sha256").update(spkiDer).digest("base64");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function decodeJwtPart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/** Adds the SAN claim the way real Fulcio derives it for a GitHub Actions token. */
function rewriteFulcioRequest(body: string): { body: string } | { error: string } {
  const json = JSON.parse(body);
  const token: string = json?.credentials?.oidcIdentityToken ?? "";
  const parts = token.split(".");
  if (parts.length !== 3) return { error: "malformed OIDC token" };
  const claims = decodeJwtPart(parts[1] ?? "");
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes("sigstore"))
    return { error: `token audience ${JSON.stringify(claims.aud)} is not "sigstore"` };
  const san =
    typeof claims.job_workflow_ref === "string"
      ? `https://github.com/${claims.job_workflow_ref}`
      : String(claims.email ?? claims.sub ?? "");
  claims[SAN_CLAIM] = san;
  parts[1] = Buffer.from(JSON.stringify(claims)).toString("base64url");
  json.credentials.oidcIdentityToken = parts.join(".");
  return { body: JSON.stringify(json) };
}

/**
 * Real Rekor stores a "dsse" proposal in canonical form (envelope and payload hashes, one
 * signature+verifier per signature); the mock would store the proposal verbatim, which no
 * verifier accepts. Do what Rekor does (rekor pkg/types/dsse/v0.0.1) before the mock logs it.
 */
function canonicalPem(b64Pem: string): string {
  const pem = Buffer.from(b64Pem, "base64").toString("utf8");
  if (!pem.includes("BEGIN CERTIFICATE")) return b64Pem; // a bare public key: leave as is
  return Buffer.from(new X509Certificate(pem).toString()).toString("base64");
}

function canonicaliseRekorEntry(body: string): string {
  const entry = JSON.parse(body);
  if (entry?.kind === "hashedrekord" && entry.spec?.signature?.publicKey?.content) {
    entry.spec.signature.publicKey.content = canonicalPem(entry.spec.signature.publicKey.content);
    return JSON.stringify(entry);
  }
  if (entry?.kind !== "dsse" || !entry.spec?.proposedContent) return body;
  const { envelope, verifiers } = entry.spec.proposedContent as {
    envelope: string;
    verifiers: string[];
  };
  const env = JSON.parse(envelope) as { payload: string; signatures: Array<{ sig: string }> };
  const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
  return JSON.stringify({
    apiVersion: "0.0.1",
    kind: "dsse",
    spec: {
      envelopeHash: { algorithm: "sha256", value: sha256(envelope) },
      payloadHash: { algorithm: "sha256", value: sha256(Buffer.from(env.payload, "base64")) },
      // Rekor stores each verifier re-encoded as standard PEM (64-column lines, final newline);
      // sigstore-python compares it byte for byte with the bundle's certificate in that form.
      signatures: env.signatures.map((s) => ({
        signature: s.sig,
        verifier: canonicalPem(verifiers[0] ?? ""),
      })),
    },
  });
}

/**
 * The mock proves inclusion in a one-entry tree (log index 0, no hashes). Proto3 JSON omits
 * those default values, and sigstore-python's bundle model then refuses the bundle as
 * malformed ("inclusionProof.logIndex Field required"). Real Rekor entries never look like
 * that, so re-prove the entry as leaf 1 of a two-leaf tree and re-sign the checkpoint.
 */
function widenInclusionProof(response: string, logKey: KeyObject, origin: string): string {
  const entries = JSON.parse(response) as Record<
    string,
    { body: string; logID: string; verification: { inclusionProof: Record<string, unknown> } }
  >;
  for (const entry of Object.values(entries)) {
    const proof = entry.verification.inclusionProof;
    const body = Buffer.from(entry.body, "base64");
    const leaf = createHash("sha256")
      .update(Buffer.from([0]))
      .update(body)
      .digest();
    const sibling = createHash("sha256").update("a leaf logged before ours").digest();
    const root = createHash("sha256")
      .update(Buffer.from([1]))
      .update(sibling)
      .update(leaf)
      .digest();
    const logId = Buffer.from(entry.logID, "hex");
    const note = [`${origin} - 1`, "2", root.toString("base64"), ""].join("\n");
    const sig = sign("sha256", Buffer.from(note), logKey);
    const sigLine = `\u2014 ${origin} ${Buffer.concat([logId.subarray(0, 4), sig]).toString("base64")}`;
    entry.verification.inclusionProof = {
      ...proof,
      logIndex: 1,
      treeSize: 2,
      rootHash: root.toString("hex"),
      hashes: [sibling.toString("hex")],
      checkpoint: [note, sigLine, ""].join("\n"),
    };
  }
  return JSON.stringify(entries);
}

export async function startFakeSigstore(): Promise<FakeSigstore> {
  const ec = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const caKeys = ec();
  const ctKeys = ec();
  const tlogKeys = ec();
  const tsaKeys = ec();
  // Everything valid from one minute ago (certificates are checked against signing time).
  const start = new Date(Date.now() - 60_000).toISOString();

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const ctlog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctlog);
  const tlog = await initializeTLog(url, tlogKeys);
  const tsa = await initializeTSA(tsaKeys);

  const fulcio = fulcioHandler(ca, { strict: true, subjectClaim: SAN_CLAIM } as never);
  const rekor = rekorHandler(tlog, { strict: true });
  const timestamp = tsaHandler(tsa, { strict: true });
  const routes = new Map<string, HandlerFn>([
    [fulcio.path, fulcio.fn as HandlerFn],
    [rekor.path, rekor.fn as HandlerFn],
    [timestamp.path, timestamp.fn as HandlerFn],
  ]);

  const requests: FakeSigstore["requests"] = [];
  server.on("request", async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", url).pathname;
      let body = await readBody(req);
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {}
      requests.push({ path, body: parsed });
      const handler = req.method === "POST" ? routes.get(path) : undefined;
      if (!handler) {
        res.writeHead(404, { "content-type": "text/plain" }).end(`no route ${req.method} ${path}`);
        return;
      }
      if (path === fulcio.path) {
        const rewritten = rewriteFulcioRequest(body);
        if ("error" in rewritten) {
          res.writeHead(401, { "content-type": "text/plain" }).end(rewritten.error);
          return;
        }
        body = rewritten.body;
      }
      if (path === rekor.path) body = canonicaliseRekorEntry(body);
      let out = await handler(body);
      if (path === rekor.path && out.statusCode === 201) {
        out = {
          ...out,
          response: widenInclusionProof(
            String(out.response),
            tlogKeys.privateKey,
            new URL(url).host,
          ),
        };
      }
      const payload =
        typeof out.response === "string"
          ? out.response
          : Buffer.from(out.response.buffer, out.response.byteOffset, out.response.byteLength);
      res
        .writeHead(out.statusCode, { "content-type": out.contentType ?? "text/plain" })
        .end(payload);
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(e));
    }
  });

  const tlogSpki = Buffer.from(tlog.publicKey);
  const ctSpki = Buffer.from(ctlog.publicKey);
  const trustedRoot: TrustedRootJSON = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: b64(tlogSpki),
          keyDetails: "PKIX_ECDSA_P256_SHA_256",
          validFor: { start },
        },
        logId: { keyId: keyId(tlogSpki) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: "sigstore.mock", commonName: "sigstore" },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: b64(ctSpki),
          keyDetails: "PKIX_ECDSA_P256_SHA_256",
          validFor: { start },
        },
        logId: { keyId: keyId(ctSpki) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: "sigstore.mock", commonName: "tsa" },
        uri: `${url}/api/v1/timestamp`,
        certChain: {
          certificates: [
            { rawBytes: b64(tsa.intCertificate) },
            { rawBytes: b64(tsa.rootCertificate) },
          ],
        },
        validFor: { start },
      },
    ],
  };

  return {
    url,
    fulcioURL: url,
    rekorURL: url,
    tsaURL: url,
    trustedRoot,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** GitHub Actions-shaped OIDC claims (the ones actions/attest and Fulcio read). */
export function githubClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const repository = (overrides.repository as string) ?? "acme/codex-usage";
  const ref = (overrides.ref as string) ?? "refs/tags/v0.1.5";
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: "https://token.actions.githubusercontent.com",
    aud: "sigstore",
    sub: `repo:${repository}:ref:${ref}`,
    iat: now,
    nbf: now,
    exp: now + 300,
    ref,
    sha: "0123456789abcdef0123456789abcdef01234567",
    repository,
    repository_id: "123456789",
    repository_owner: repository.split("/")[0],
    repository_owner_id: "987654",
    repository_visibility: "public",
    event_name: "push",
    workflow: "release",
    workflow_ref: `${repository}/.github/workflows/release.yml@${ref}`,
    workflow_sha: "0123456789abcdef0123456789abcdef01234567",
    job_workflow_ref: `${repository}/.github/workflows/release.yml@${ref}`,
    job_workflow_sha: "0123456789abcdef0123456789abcdef01234567",
    runner_environment: "github-hosted",
    run_id: "4242",
    run_attempt: "1",
    ...overrides,
  };
}

/** An unsigned JWT (alg none): the mock Fulcio decodes but does not verify tokens. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.c2ln`;
}

/**
 * The instance as a ClientTrustConfig (what `--sigstore-trust-config`, sigstore-python's
 * `--trust-config` and cosign read): the trusted root plus a signing config v0.2.
 */
export function clientTrustConfig(s: FakeSigstore): Record<string, unknown> {
  const validFor = { start: new Date(Date.now() - 60_000).toISOString() };
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor, operator: "local" });
  return {
    mediaType: "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
    trustedRoot: s.trustedRoot,
    signingConfig: {
      mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
      caUrls: [service(s.fulcioURL)],
      oidcUrls: [],
      rekorTlogUrls: [service(s.rekorURL)],
      // No timestamp authority: the mock's TSA writes a GeneralizedTime with 1-2 fraction digits
      // now and then (".12Z"), which @sigstore/core refuses ("invalid time"). Rekor's integrated
      // time is the timestamp, as on the public-good instance.
      tsaUrls: [],
      rekorTlogConfig: { selector: "ANY" },
      tsaConfig: { selector: "ANY" },
    },
  };
}
