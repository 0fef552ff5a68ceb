import { inspect } from "node:util";
import { afterEach, describe, expect, test, vi } from "vitest";
import {
  decodeJwtClaims,
  existingFiles,
  explainUvPublishFailure,
  mintUploadToken,
  type PackageIndex,
  PYPI,
  PypiPublishError,
  packageIndexAt,
  planUploads,
  TEST_PYPI,
  trustedPublisherFields,
  uploadConflictError,
} from "../../lib/publishers/pypi/index.js";
import {
  FakeGithubOidc,
  FakePackageIndex,
  type FakePackageIndexOptions,
  unsignedJwt,
} from "../fakes/pypi-api.js";

const REQUEST_TOKEN = "ghs_runnerRequestToken0123456789abcdefXYZ";
const REF = "refs/tags/v1.0.0";
const WORKFLOW_REF = `octo/app/.github/workflows/release.yml@${REF}`;
const CLAIMS = {
  sub: "repo:octo/app:environment:pypi",
  repository: "octo/app",
  repository_owner: "octo",
  workflow_ref: WORKFLOW_REF,
  job_workflow_ref: WORKFLOW_REF,
  environment: "pypi",
  ref: REF,
};
const RELEASE_PUBLISHER = { repository: "octo/app", workflowFile: "release.yml" };

let running: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(running.map((server) => server.stop()));
  running = [];
});

interface Scenario {
  index: FakePackageIndex;
  github: FakeGithubOidc;
  target: PackageIndex;
  requestUrl: ReturnType<typeof vi.fn<() => Promise<string>>>;
  requestToken: ReturnType<typeof vi.fn<() => Promise<string>>>;
  /** Everything that must never be shown: the request token, issued JWTs, minted tokens. */
  secrets(): string[];
}

async function scenario(
  options: FakePackageIndexOptions = { publishers: [RELEASE_PUBLISHER] },
  claims: Record<string, unknown> = CLAIMS,
  name = "FakePyPI",
): Promise<Scenario> {
  const index = await new FakePackageIndex(options).start();
  running.push(index);
  const github = await new FakeGithubOidc({ requestToken: REQUEST_TOKEN, claims }).start();
  running.push(github);
  return {
    index,
    github,
    target: packageIndexAt(index.url, name),
    requestUrl: vi.fn(async () => github.requestUrl),
    requestToken: vi.fn(async () => REQUEST_TOKEN),
    secrets: () => [REQUEST_TOKEN, ...github.issued, ...index.minted],
  };
}

function mint(s: Scenario) {
  return mintUploadToken({
    index: s.target,
    requestUrl: s.requestUrl,
    requestToken: s.requestToken,
  });
}

async function refusal(promise: Promise<unknown>): Promise<PypiPublishError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PypiPublishError);
  return error as PypiPublishError;
}

/** Every way a value is commonly shown: string, util.inspect (with causes), JSON. */
function expectNoSecrets(value: unknown, secrets: readonly string[]): void {
  const shown = [String(value), inspect(value, { depth: 10 }), JSON.stringify(value) ?? ""];
  if (value instanceof Error) shown.push(value.message, value.stack ?? "");
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(shown.join("\n")).not.toContain(secret);
}

describe("package indexes", () => {
  test("PyPI and TestPyPI: upload, simple, JSON API and OIDC URLs", () => {
    expect(PYPI).toEqual({
      name: "PyPI",
      uploadUrl: "https://upload.pypi.org/legacy/",
      simpleUrl: "https://pypi.org/simple/",
      jsonApiUrl: "https://pypi.org/pypi",
      oidcUrl: "https://pypi.org/_/oidc",
      webUrl: "https://pypi.org",
    });
    expect(TEST_PYPI).toEqual({
      name: "TestPyPI",
      uploadUrl: "https://test.pypi.org/legacy/",
      simpleUrl: "https://test.pypi.org/simple/",
      jsonApiUrl: "https://test.pypi.org/pypi",
      oidcUrl: "https://test.pypi.org/_/oidc",
      webUrl: "https://test.pypi.org",
    });
  });

  test("an override moves every URL together", () => {
    expect(packageIndexAt("http://127.0.0.1:8123/")).toEqual({
      name: "the index at http://127.0.0.1:8123",
      uploadUrl: "http://127.0.0.1:8123/legacy/",
      simpleUrl: "http://127.0.0.1:8123/simple/",
      jsonApiUrl: "http://127.0.0.1:8123/pypi",
      oidcUrl: "http://127.0.0.1:8123/_/oidc",
      webUrl: "http://127.0.0.1:8123",
    });
    const nested = packageIndexAt("https://pkgs.example.com/python//", "Company index");
    expect(nested.name).toBe("Company index");
    expect(nested.uploadUrl).toBe("https://pkgs.example.com/python/legacy/");
    expect(nested.oidcUrl).toBe("https://pkgs.example.com/python/_/oidc");
  });

  test("PyPI's own hosts give the table entries (uploads go to upload.pypi.org)", () => {
    expect(packageIndexAt("https://pypi.org")).toEqual(PYPI);
    expect(packageIndexAt("https://test.pypi.org/")).toEqual(TEST_PYPI);
  });

  test.each([
    ["not a url"],
    ["ftp://pypi.example.com"],
    ["https://pypi.example.com/?x=1"],
    ["https://user:pw@pypi.example.com"],
  ])("refuses %s", (url) => {
    expect(() => packageIndexAt(url)).toThrow(PypiPublishError);
  });
});

describe("mintUploadToken", () => {
  test("audience, then GitHub's token (query appended, bearer), then mint-token", async () => {
    const s = await scenario();
    const token = await mint(s);

    expect(s.index.minted).toHaveLength(1);
    expect(token.reveal()).toBe(s.index.minted[0]);
    expect(token.index).toBe("FakePyPI");
    expectNoSecrets(token, s.index.minted);

    expect(s.index.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /_/oidc/audience 200",
      "POST /_/oidc/mint-token 200",
    ]);
    const [oidc, ...more] = s.github.requests;
    expect(more).toEqual([]);
    expect(oidc?.rawQuery).toBe("api-version=2.0&audience=pypi");
    expect(oidc?.authorization).toBe(`bearer ${REQUEST_TOKEN}`);
    const mintRequest = s.index.requests[1];
    expect(mintRequest?.contentType).toBe("application/json");
    expect(mintRequest?.body).toEqual({ token: s.github.issued[0] });
    expect(s.requestUrl).toHaveBeenCalledTimes(1);
    expect(s.requestToken).toHaveBeenCalledTimes(1);
  });

  test("the audience is URL-encoded into the query", async () => {
    const s = await scenario({ audience: "custom aud/1&x", publishers: [RELEASE_PUBLISHER] });
    await mint(s);
    expect(s.github.requests[0]?.rawQuery).toBe("api-version=2.0&audience=custom%20aud%2F1%26x");
    expect(s.index.minted).toHaveLength(1);
  });

  test("GitHub refuses (403): the job needs id-token: write; forks never get it", async () => {
    const s = await scenario();
    s.github.refuseWith = 403;
    const error = await refusal(mint(s));
    expect(error.message).toContain("HTTP 403");
    expect(error.message).toContain("permissions: id-token: write");
    expect(error.message).toContain("Pull requests from forks never get an id-token");
    expect(s.index.requests.some((r) => r.path.endsWith("/mint-token"))).toBe(false);
    expectNoSecrets(error, s.secrets());
  });

  test("no audience (404): stops before reading the GitHub secrets", async () => {
    const s = await scenario();
    s.index.failNext("/_/oidc/audience", { status: 404, json: { message: "Not Found" } });
    const error = await refusal(mint(s));
    expect(error.message).toContain("does not offer trusted publishing");
    expect(s.requestUrl).not.toHaveBeenCalled();
    expect(s.requestToken).not.toHaveBeenCalled();
    expect(s.github.requests).toEqual([]);
  });

  test("422 invalid-publisher: names owner, repository, workflow, environment, index", async () => {
    const s = await scenario({ publishers: [{ ...RELEASE_PUBLISHER, workflowFile: "ci.yml" }] });
    const error = await refusal(mint(s));
    const { message } = error;
    expect(s.index.requests[1]?.status).toBe(422);
    expect(message).toContain("no trusted publisher on FakePyPI matches this workflow run");
    expect(message).toContain("invalid-publisher");
    expect(message).toContain(`On FakePyPI (${s.index.url})`);
    expect(message).toContain(
      'owner "octo", repository "app", workflow "release.yml", environment "pypi"',
    );
    expect(message).toContain("TestPyPI and PyPI keep separate registrations");
    expect(message).not.toContain("reusable");
    expect(s.github.issued).toHaveLength(1);
    expectNoSecrets(error, s.secrets());
  });

  test("422 invalid-publisher, no environment claim: leave the environment empty", async () => {
    const { environment: _, ...noEnvironment } = CLAIMS;
    const s = await scenario({ publishers: [] }, noEnvironment, "TestPyPI");
    const error = await refusal(mint(s));
    expect(error.message).toContain('workflow "release.yml", environment: leave empty');
    expect(error.message).toContain("On TestPyPI");
    expectNoSecrets(error, s.secrets());
  });

  test("other refusals quote PyPI's errors[].description", async () => {
    const s = await scenario();
    s.index.failNext("/_/oidc/mint-token", {
      status: 422,
      json: { errors: [{ code: "invalid-token", description: "token is expired" }] },
    });
    const expired = await refusal(mint(s));
    expect(expired.message).toContain("HTTP 422 (invalid-token: token is expired)");
    expect(expired.message).toContain("re-run the job");
    expectNoSecrets(expired, s.secrets());

    s.index.failNext("/_/oidc/mint-token", { status: 503 });
    const down = await refusal(mint(s));
    expect(down.message).toContain("FakePyPI answered HTTP 503");
    expect(down.message).toContain("Re-run later");
    expectNoSecrets(down, s.secrets());
  });

  test("a library error quoting the request URL is redacted", async () => {
    const s = await scenario();
    s.requestUrl.mockResolvedValue("not-a-url?api-version=2.0&sig=SECRETSIGNATURE42");
    const error = await refusal(mint(s));
    expect(error.message).toContain("Requesting an OIDC token from GitHub Actions");
    expect(error.message).toContain("[redacted]");
    expectNoSecrets(error, [...s.secrets(), "SECRETSIGNATURE42"]);
  });
});

describe("OIDC claims", () => {
  test("decodes a JWT's claims without verifying it; anything else is null", () => {
    expect(decodeJwtClaims(unsignedJwt({ ...CLAIMS, aud: "pypi", other: 1 }))).toEqual({
      repository: "octo/app",
      workflow_ref: WORKFLOW_REF,
      job_workflow_ref: WORKFLOW_REF,
      environment: "pypi",
      ref: REF,
    });
    expect(decodeJwtClaims("not-a-jwt")).toBeNull();
    expect(decodeJwtClaims("a.bm90IGpzb24.c")).toBeNull();
  });

  test("a reusable workflow: PyPI matches the callee's file; advice names the caller", async () => {
    const reusable = {
      ...CLAIMS,
      job_workflow_ref: `octo/shared/.github/workflows/publish.yml@${REF}`,
    };
    expect(trustedPublisherFields(reusable)).toEqual({
      owner: "octo",
      repository: "app",
      workflowFile: "publish.yml",
      environment: "pypi",
      calledFrom: "octo/app/release.yml",
    });
    const s = await scenario({ publishers: [RELEASE_PUBLISHER] }, reusable);
    const error = await refusal(mint(s));
    expect(error.message).toContain('workflow "publish.yml"');
    expect(error.message).toContain(
      "reusable workflow publish.yml, called from octo/app/release.yml",
    );
    expectNoSecrets(error, s.secrets());
  });
});

describe("existingFiles", () => {
  const files = [
    { filename: "tool-1.0.0-cp39-abi3-manylinux_2_17_x86_64.whl", sha256: "a".repeat(64) },
    { filename: "tool-1.0.0.tar.gz", sha256: "B".repeat(64) },
  ];

  test("a version not on the index yet (404) has no files", async () => {
    const s = await scenario({ releases: [{ project: "tool", version: "0.9.0", files }] });
    const found = await existingFiles({ index: s.target, project: "tool", version: "1.0.0" });
    expect(found).toEqual(new Map());
    expect(s.index.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      "/pypi/tool/1.0.0/json 404",
    ]);
  });

  test("an existing version: file name -> sha256 (lower case)", async () => {
    const s = await scenario({ releases: [{ project: "tool", version: "1.0.0", files }] });
    const found = await existingFiles({ index: s.target, project: "tool", version: "1.0.0" });
    expect(found).toEqual(
      new Map([
        ["tool-1.0.0-cp39-abi3-manylinux_2_17_x86_64.whl", "a".repeat(64)],
        ["tool-1.0.0.tar.gz", "b".repeat(64)],
      ]),
    );
  });

  test("errors name the version, the index and the answer", async () => {
    const s = await scenario();
    s.index.failNext("/pypi/tool/1.0.0/json", { status: 503, json: { message: "Backend down" } });
    const down = await refusal(
      existingFiles({ index: s.target, project: "tool", version: "1.0.0" }),
    );
    expect(down.message).toContain("Reading the files of tool 1.0.0 on FakePyPI");
    expect(down.message).toContain("HTTP 503 (Backend down). Re-run later.");

    s.index.failNext("/pypi/tool/1.0.0/json", { status: 200, json: { hello: "world" } });
    const odd = await refusal(
      existingFiles({ index: s.target, project: "tool", version: "1.0.0" }),
    );
    expect(odd.message).toContain("not a JSON API release");
  });
});

describe("planUploads", () => {
  const sha = (c: string) => c.repeat(64);

  test.each([
    {
      case: "nothing on the index: everything is uploaded",
      existing: new Map<string, string>(),
      expected: { upload: ["new.whl", "same.whl", "changed.whl"], alreadyThere: [], conflicts: [] },
    },
    {
      case: "new, identical (hash case ignored) and changed files",
      existing: new Map([
        ["same.whl", sha("B")],
        ["changed.whl", sha("f")],
        ["remote-only.whl", sha("e")],
      ]),
      expected: {
        upload: ["new.whl"],
        alreadyThere: ["same.whl"],
        conflicts: [{ name: "changed.whl", local: sha("c"), remote: sha("f") }],
      },
    },
  ])("$case", ({ existing, expected }) => {
    const local = [
      { name: "new.whl", sha256: sha("a") },
      { name: "same.whl", sha256: sha("b") },
      { name: "changed.whl", sha256: sha("c") },
    ];
    expect(planUploads(local, existing)).toEqual(expected);
  });

  test("the conflict error names every file and says to bump the version", () => {
    const error = uploadConflictError(
      [
        { name: "tool-1.0.0-py3-none-any.whl", local: "1".repeat(64), remote: "2".repeat(64) },
        { name: "tool-1.0.0.tar.gz", local: "3".repeat(64), remote: "4".repeat(64) },
      ],
      { index: PYPI, project: "tool", version: "1.0.0" },
    );
    expect(error).toBeInstanceOf(PypiPublishError);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("2 files of tool 1.0.0 already exist on PyPI with different content:");
    expect(lines[1]).toBe(
      `  - tool-1.0.0-py3-none-any.whl: local sha256 ${"1".repeat(64)}, on PyPI ${"2".repeat(64)}`,
    );
    expect(lines[2]).toContain(`tool-1.0.0.tar.gz: local sha256 ${"3".repeat(64)}`);
    expect(error.message).toContain("never accepts a changed file under a name it already has");
    expect(error.message).toContain("deleting files does not help");
    expect(error.message).toContain("Bump the version and release it with a new tag");
  });
});

describe("explainUvPublishFailure", () => {
  const WHEEL = "tool-1.0.0-cp39-abi3-manylinux_2_17_x86_64.whl";

  test("400 File already exists (uv's wording, PyPI's message)", () => {
    const stderr = [
      "Publishing 2 files https://upload.pypi.org/legacy/",
      `Uploading ${WHEEL} (1.2MiB)`,
      `error: Failed to publish \`dist/${WHEEL}\` to https://upload.pypi.org/legacy/`,
      "  Caused by: Upload failed with status code 400 Bad Request. Server says: 400 File " +
        `already exists ('${WHEEL}', with blake2_256 hash '${"4".repeat(64)}'). ` +
        "See https://pypi.org/help/#file-name-reuse for more information.",
    ].join("\n");
    const message = explainUvPublishFailure(stderr, PYPI);
    expect(message).toContain(`PyPI already has ${WHEEL} with different content`);
    expect(message).toContain("never accepts a changed file");
    expect(message).toContain("Bump the version");
  });

  test("--check-url hash mismatch and a deleted file's name are the same conflict", () => {
    const mismatch =
      `error: Local file and index file do not match for \`${WHEEL}\`. ` +
      `Local: sha256=${"a".repeat(64)}, Remote: sha256=${"b".repeat(64)}`;
    expect(explainUvPublishFailure(mismatch, TEST_PYPI)).toContain(
      `TestPyPI already has ${WHEEL} with different content`,
    );
    const deleted =
      `error: Failed to publish \`dist/${WHEEL}\` to https://test.pypi.org/legacy/\n` +
      "  Caused by: Upload failed with status code 400 Bad Request. Server says: 400 This " +
      "filename was previously used by a file that has since been deleted. Use a different " +
      "version. See https://test.pypi.org/help/#file-name-reuse for more information.";
    expect(explainUvPublishFailure(deleted, TEST_PYPI)).toContain(`TestPyPI already has ${WHEEL}`);
  });

  test("403: invalid or expired token", () => {
    const stderr =
      `error: Failed to publish \`dist/${WHEEL}\` to https://upload.pypi.org/legacy/\n` +
      "  Caused by: Permission denied (status code 403 Forbidden): 403 Invalid or non-existent " +
      "authentication information. See https://pypi.org/help/#invalid-auth for more information.";
    const message = explainUvPublishFailure(stderr, PYPI);
    expect(message).toContain("PyPI refused the upload token (HTTP 403");
    expect(message).toContain("expire after 15 minutes");
  });

  test("invalid-publisher from uv's own exchange: the claims it prints name the publisher", () => {
    const stderr = [
      "error: Failed to obtain token for trusted publishing",
      "  Caused by: PyPI returned error code 422 Unprocessable Entity, is trusted publishing " +
        "correctly configured?",
      'Response: {"errors":[{"code":"invalid-publisher","description":"valid token, but no ' +
        'corresponding publisher (Publisher with matching claims was not found)"}],' +
        '"message":"Token request failed"}',
      "Token claims, which must match the PyPI configuration: OidcTokenClaims {",
      '    sub: "repo:octo/app:ref:refs/tags/v1.0.0",',
      '    repository: "octo/app",',
      '    repository_owner: "octo",',
      '    repository_owner_id: "4242",',
      `    job_workflow_ref: "${WORKFLOW_REF}",`,
      `    ref: "${REF}",`,
      "}",
    ].join("\n");
    const message = explainUvPublishFailure(stderr, TEST_PYPI);
    expect(message).toContain("TestPyPI refused the trusted-publishing exchange");
    expect(message).toContain('owner "octo", repository "app", workflow "release.yml"');
    expect(message).toContain("separate registrations");
  });

  test("missing id-token permission", () => {
    const stderr =
      "error: Failed to obtain token for trusted publishing\n  Caused by: Environment variable " +
      "ACTIONS_ID_TOKEN_REQUEST_TOKEN not set, is the `id-token: write` permission missing?";
    expect(explainUvPublishFailure(stderr, PYPI)).toContain("permissions: id-token: write");
  });

  test("anything else: the last 20 lines, without colours or token-shaped text", () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    lines.push(
      `\u001b[31merror\u001b[0m: token pypi-AgEIcHlwaS5vcmcCJGFiY2RlZg was ${unsignedJwt({})}`,
    );
    const message = explainUvPublishFailure(lines.join("\n"), PYPI);
    const shown = message.split("\n");
    expect(shown).toHaveLength(20);
    expect(shown[0]).toBe("line 12");
    expect(shown[19]).toBe("error: token [redacted] was [redacted]");
  });
});
