import { afterEach, describe, expect, test, vi } from "vitest";
import {
  GithubPublishError,
  inspectGithubRelease,
  stageGithubRelease,
} from "../../lib/publishers/github/index.js";
import type { FakeGithubOptions } from "../fakes/github-api.js";
import {
  ASSET_CONTENTS,
  ASSET_NAMES,
  COMMIT,
  GithubScenario,
  sha256,
  stageAndPublish,
  TAG,
  TOKEN,
} from "./github-fixtures.js";

const [TARBALL, ZIP, WHEEL, SUMS] = ASSET_NAMES as [string, string, string, string];

let scenario: GithubScenario | null = null;

async function start(options: Partial<FakeGithubOptions> = {}): Promise<GithubScenario> {
  scenario = await new GithubScenario(options).start();
  return scenario;
}

afterEach(async () => {
  await scenario?.dispose();
  scenario = null;
});

async function failure(promise: Promise<unknown>): Promise<GithubPublishError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GithubPublishError);
  return error as GithubPublishError;
}

function seededAssets(contents: Record<string, Buffer>) {
  return Object.entries(contents).map(([name, content]) => ({ name, content }));
}

describe("stageGithubRelease, then publishStagedRelease", () => {
  test("first release: draft with generated notes, raw-byte uploads, then published", async () => {
    const s = await start();
    const { github } = s;
    const report = await stageAndPublish(s.request(await s.assets()));

    const releases = github.releasesForTag(TAG);
    expect(releases).toHaveLength(1);
    const [release] = releases;
    expect(release).toMatchObject({
      draft: false,
      prerelease: false,
      makeLatest: "true",
      targetCommitish: COMMIT,
      name: `tool ${TAG}`,
    });
    expect(release?.body).toContain("## What's Changed");
    expect(release?.assets.map((a) => [a.name, a.state, a.contentType])).toEqual([
      [TARBALL, "uploaded", "application/gzip"],
      [ZIP, "uploaded", "application/zip"],
      [WHEEL, "uploaded", "application/zip"],
      [SUMS, "uploaded", "text/plain"],
    ]);
    for (const asset of release?.assets ?? []) {
      expect(asset.bytes.equals(ASSET_CONTENTS[asset.name] as Buffer)).toBe(true);
    }

    const log = github.requests;
    const create = log.find((r) => r.method === "POST" && r.path === "/repos/octo/tool/releases");
    expect(create?.json).toMatchObject({ tag_name: TAG, target_commitish: COMMIT, draft: true });
    expect(log.some((r) => r.path.endsWith("/releases/generate-notes"))).toBe(true);
    for (const [name, bytes] of Object.entries(ASSET_CONTENTS)) {
      const [upload, ...again] = s.uploadsOf(name);
      expect(again).toEqual([]);
      expect(upload).toMatchObject({
        contentLength: String(bytes.length),
        bodyLength: bytes.length,
        bodySha256: sha256(bytes),
        status: 201,
      });
    }
    const publish = log.findIndex((r) => r.method === "PATCH");
    expect(log[publish]?.json).toMatchObject({
      draft: false,
      make_latest: "true",
      prerelease: false,
    });
    expect(log.findLastIndex((r) => r.path.startsWith("/uploads/"))).toBeLessThan(publish);
    expect(log.every((r) => r.authorized)).toBe(true);

    expect(report).toMatchObject({
      tag: TAG,
      release: "created",
      releaseId: release?.id,
      url: `${github.apiUrl}/octo/tool/releases/tag/${TAG}`,
    });
    expect(report.assets).toEqual(
      ASSET_NAMES.map((name) => ({
        name,
        status: "uploaded",
        digest: `sha256:${sha256(ASSET_CONTENTS[name] as Buffer)}`,
        url: `${github.apiUrl}/octo/tool/releases/download/${TAG}/${name}`,
      })),
    );
  });

  test("re-run after 502s: resumes the draft, drops the starter, skips identical", async () => {
    const s = await start();
    const { github } = s;
    const assets = await s.assets();
    github.failUploads({ fromNth: 3, times: Number.POSITIVE_INFINITY });

    const error = await failure(stageAndPublish(s.request(assets)));
    expect(error.message).toContain(`uploading asset ${WHEEL} to release ${TAG} failed`);
    expect(error.message).toContain("HTTP 502");
    expect(error.message).toContain("re-run");
    const [draft] = github.releasesForTag(TAG);
    expect(draft?.draft).toBe(true);
    expect(draft?.assets.map((a) => [a.name, a.state])).toEqual([
      [TARBALL, "uploaded"],
      [ZIP, "uploaded"],
      [WHEEL, "starter"],
    ]);
    const starterId = draft?.assets[2]?.id;

    github.clearFaults();
    const rerun = s.mark();
    const report = await stageAndPublish(s.request(assets));

    const log = rerun();
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`).slice(0, 2)).toEqual([
      `GET /repos/octo/tool/releases/tags/${TAG} 404`,
      "GET /repos/octo/tool/releases 200",
    ]);
    expect(log.some((r) => r.method === "POST" && r.path === "/repos/octo/tool/releases")).toBe(
      false,
    );
    expect(log.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual([
      `/repos/octo/tool/releases/assets/${starterId}`,
    ]);
    expect(log.filter((r) => r.path.startsWith("/uploads/")).map((r) => r.query.name)).toEqual([
      WHEEL,
      SUMS,
    ]);
    expect(report.release).toBe("resumed-draft");
    expect(report.assets.map((a) => a.status)).toEqual([
      "already-there",
      "already-there",
      "uploaded",
      "uploaded",
    ]);
    const releases = github.releasesForTag(TAG);
    expect(releases).toHaveLength(1);
    expect(releases[0]?.draft).toBe(false);
    expect(releases[0]?.assets.map((a) => [a.name, a.state])).toEqual(
      ASSET_NAMES.map((name) => [name, "uploaded"]),
    );
  });

  test("one 502 leaving a starter asset is repaired in the run (422 already_exists)", async () => {
    const s = await start();
    const { github } = s;
    github.failUploads({ fromNth: 3 });

    const report = await stageAndPublish(s.request(await s.assets()));

    expect(s.uploadsOf(WHEEL).map((r) => r.status)).toEqual([502, 422, 201]);
    expect(github.requests.filter((r) => r.method === "DELETE")).toHaveLength(1);
    expect(report.assets.find((a) => a.name === WHEEL)?.status).toBe("uploaded");
    const [release] = github.releasesForTag(TAG);
    expect(release?.draft).toBe(false);
    expect(release?.assets.map((a) => [a.name, a.state])).toEqual(
      ASSET_NAMES.map((name) => [name, "uploaded"]),
    );
  });

  test("identical assets are skipped by digest (or a download's hash if it is null)", async () => {
    const s = await start({
      releases: [
        {
          tag: TAG,
          draft: true,
          assets: [
            { name: TARBALL, content: ASSET_CONTENTS[TARBALL] as Buffer },
            { name: ZIP, content: ASSET_CONTENTS[ZIP] as Buffer, withoutDigest: true },
          ],
        },
      ],
    });
    const { github } = s;

    const report = await stageAndPublish(s.request(await s.assets()));

    expect(s.uploadsOf(TARBALL)).toEqual([]);
    expect(s.uploadsOf(ZIP)).toEqual([]);
    expect(s.uploadsOf(WHEEL)).toHaveLength(1);
    const downloads = github.requests.filter((r) => r.path.startsWith("/downloads/"));
    expect(downloads).toHaveLength(1);
    expect(report.assets.map((a) => a.status)).toEqual([
      "already-there",
      "already-there",
      "uploaded",
      "uploaded",
    ]);
    expect(github.releasesForTag(TAG)[0]?.draft).toBe(false);
  });

  test("a draft whose staging never finished (no manifest) takes this run's bytes", async () => {
    const changed = { [TARBALL]: Buffer.from("old tarball") };
    const s = await start({ releases: [{ tag: TAG, draft: true, assets: seededAssets(changed) }] });
    const report = await stageAndPublish(s.request(await s.assets()));
    expect(report.assets.find((a) => a.name === TARBALL)?.status).toBe("replaced");
    const tarball = s.github.releasesForTag(TAG)[0]?.assets.find((a) => a.name === TARBALL);
    expect(tarball?.bytes.equals(ASSET_CONTENTS[TARBALL] as Buffer)).toBe(true);
  });

  test("changed assets are refused before any write; replaceChangedAssets replaces", async () => {
    // A finished staging (its manifest is there), or a published release: bytes may have been
    // published elsewhere, so a change needs the maintainer's word.
    const changed = { [TARBALL]: Buffer.from("old tarball"), [SUMS]: Buffer.from("old sums\n") };
    const s = await start({
      releases: [{ tag: TAG, draft: false, assets: seededAssets(changed) }],
    });
    const { github } = s;
    const assets = await s.assets();

    const error = await failure(stageAndPublish(s.request(assets)));
    expect(error.message).toContain(
      `${TARBALL}: release has sha256:${sha256(changed[TARBALL] as Buffer)}`,
    );
    expect(error.message).toContain(`${SUMS}: release has sha256:`);
    expect(error.message).toContain("--replace-changed-assets");
    expect(github.writes()).toEqual([]);

    const oldTarball = github.releasesForTag(TAG)[0]?.assets.find((a) => a.name === TARBALL);
    const rerun = s.mark();
    const report = await stageAndPublish(s.request(assets, { replaceChangedAssets: true }));

    const tarballWrites = rerun().filter(
      (r) =>
        r.method !== "GET" &&
        (r.path === `/repos/octo/tool/releases/assets/${oldTarball?.id}` ||
          r.query.name === TARBALL),
    );
    expect(tarballWrites.map((r) => r.method)).toEqual(["DELETE", "POST"]);
    expect(report.assets.map((a) => a.status)).toEqual([
      "replaced",
      "uploaded",
      "uploaded",
      "replaced",
    ]);
    const [release] = github.releasesForTag(TAG);
    expect(release?.draft).toBe(false);
    const tarball = release?.assets.find((a) => a.name === TARBALL);
    expect(tarball?.bytes.equals(ASSET_CONTENTS[TARBALL] as Buffer)).toBe(true);
  });

  test("a staged draft (manifest uploaded last) refuses changed files without the flag", async () => {
    const s = await start();
    const manifest = { name: "release-manifest.json", path: "" };
    const [staging] = await s.assets({ "release-manifest.json": Buffer.from("{}\n") });
    manifest.path = staging?.path ?? "";
    const first = await stageGithubRelease({ ...s.request(await s.assets()), manifest });
    expect(first.draft).toBe(true);
    const uploads = s.github.requests.filter((r) => r.path.startsWith("/uploads/"));
    expect(uploads.at(-1)?.query.name).toBe("release-manifest.json");

    const changed = await s.assets({ ...ASSET_CONTENTS, [TARBALL]: Buffer.from("rebuilt") });
    const error = await failure(stageGithubRelease({ ...s.request(changed), manifest }));
    expect(error.message).toContain(`${TARBALL}: release has sha256:`);
    expect(s.github.releasesForTag(TAG)[0]?.draft).toBe(true);
  });

  test("a draft beyond the first page of the release list is found by paging", async () => {
    const olderDraft = { tag: TAG, draft: true };
    const newerReleases = Array.from({ length: 150 }, (_, i) => ({ tag: `v0.${i}.0` }));
    const s = await start({ releases: [olderDraft, ...newerReleases] });
    const { github } = s;

    const report = await stageAndPublish(s.request(await s.assets()));

    // Staging and publishing each look the draft up: two pages each time.
    const listed = github.requests.filter((r) => r.path === "/repos/octo/tool/releases");
    expect(listed.map((r) => [r.query.per_page, r.query.page ?? "1"])).toEqual([
      ["100", "1"],
      ["100", "2"],
      ["100", "1"],
      ["100", "2"],
    ]);
    expect(report.release).toBe("resumed-draft");
    expect(report.releaseId).toBe(1);
    expect(github.releasesForTag(TAG)).toHaveLength(1);
  });

  test("5xx answers are retried and the run succeeds", async () => {
    const s = await start();
    const { github } = s;
    github.failOnce({ method: "GET", path: /\/releases\/\d+\/assets$/, status: 500 });
    github.failOnce({ method: "PATCH", path: /\/releases\/\d+$/, status: 503 });

    const report = await stageAndPublish(s.request(await s.assets()));

    const patches = github.requests.filter((r) => r.method === "PATCH").map((r) => r.status);
    expect(patches).toEqual([503, 200]);
    const listings = github.requests.filter((r) => /\/releases\/\d+\/assets$/.test(r.path));
    expect(listings[0]?.status).toBe(500);
    expect(report.release).toBe("created");
    expect(github.releasesForTag(TAG)[0]?.draft).toBe(false);
  });

  test("a lost answer to creating the draft does not create a second release", async () => {
    const s = await start();
    const { github } = s;
    github.failOnce({
      method: "POST",
      path: /\/releases$/,
      status: 502,
      afterHandling: true,
    });

    const report = await stageAndPublish(s.request(await s.assets()));

    const creates = github.requests.filter(
      (r) => r.method === "POST" && r.path === "/repos/octo/tool/releases",
    );
    expect(creates.map((r) => r.status)).toEqual([502]);
    expect(github.releasesForTag(TAG)).toHaveLength(1);
    expect(report.release).toBe("created");
  });

  test("a secondary rate limit is waited out and retried, with a warning", async () => {
    const s = await start();
    const { github } = s;
    github.failOnce({
      method: "POST",
      path: /^\/uploads\//,
      status: 403,
      message: "You have exceeded a secondary rate limit. Please wait a few minutes.",
      headers: { "retry-after": "1" },
    });

    await stageAndPublish(s.request(await s.assets()));

    expect(s.uploadsOf(TARBALL).map((r) => r.status)).toEqual([403, 201]);
    expect(s.warnings.join("\n")).toMatch(/secondary rate limit hit on POST .*retrying/);
  });

  test("notes that cannot be generated fall back to a short body", async () => {
    const s = await start();
    const { github } = s;
    github.failOnce({ method: "POST", path: /generate-notes$/, status: 404 });

    await stageAndPublish(s.request(await s.assets()));

    expect(github.releasesForTag(TAG)[0]?.body).toBe(`Release ${TAG}.`);
    expect(s.warnings.join("\n")).toContain("generating release notes failed");
  });

  test("a prerelease is published as prerelease and never made latest", async () => {
    const s = await start();
    const { github } = s;

    await stageAndPublish(
      s.request(await s.assets(), { tag: "v1.2.3-rc.1", prerelease: true, makeLatest: "true" }),
    );

    const create = github.requests.find((r) => r.method === "POST" && r.path.endsWith("/releases"));
    expect(create?.json).toMatchObject({ prerelease: true, draft: true });
    const publish = github.requests.find((r) => r.method === "PATCH");
    expect(publish?.json).toMatchObject({ draft: false, prerelease: true, make_latest: "false" });
    expect(github.releasesForTag("v1.2.3-rc.1")[0]).toMatchObject({
      draft: false,
      prerelease: true,
      makeLatest: "false",
    });
  });

  test("an already published release with identical assets is left untouched", async () => {
    const s = await start({
      releases: [{ tag: TAG, assets: seededAssets(ASSET_CONTENTS) }],
    });
    const { github } = s;

    const report = await stageAndPublish(s.request(await s.assets()));

    expect(github.writes()).toEqual([]);
    expect(report.release).toBe("already-published");
    expect(report.assets.every((a) => a.status === "already-there")).toBe(true);
    expect(report.url).toBe(`${github.apiUrl}/octo/tool/releases/tag/${TAG}`);
  });

  test("a published mutable release gets its missing assets, not republished", async () => {
    const { [SUMS]: _missing, ...present } = ASSET_CONTENTS;
    const s = await start({ releases: [{ tag: TAG, assets: seededAssets(present) }] });
    const { github } = s;

    const report = await stageAndPublish(s.request(await s.assets()));

    expect(github.writes().map((r) => `${r.method} ${r.query.name}`)).toEqual([`POST ${SUMS}`]);
    expect(report.release).toBe("updated-published");
  });

  test("a published immutable release missing an asset: clear error, nothing written", async () => {
    const { [WHEEL]: _missing, ...present } = ASSET_CONTENTS;
    const s = await start({
      releases: [{ tag: TAG, immutable: true, assets: seededAssets(present) }],
    });
    const { github } = s;

    const error = await failure(stageAndPublish(s.request(await s.assets())));

    expect(error.message).toContain(`Release ${TAG} on octo/tool is published and immutable`);
    expect(error.message).toContain(`${WHEEL} (missing)`);
    expect(error.message).toContain("new tag");
    expect(github.writes()).toEqual([]);
  });

  test("a release made immutable by publishing is recognised as complete on a re-run", async () => {
    const s = await start({ immutableOnPublish: true });
    const { github } = s;
    const assets = await s.assets();
    await stageAndPublish(s.request(assets));
    expect(github.releasesForTag(TAG)[0]?.immutable).toBe(true);

    const rerun = s.mark();
    const report = await stageAndPublish(s.request(assets));

    expect(report.release).toBe("already-published");
    expect(rerun().filter((r) => r.method !== "GET")).toEqual([]);
  });

  test("a rejected token (401): needs contents: write, names the repository", async () => {
    const s = await start({ token: "the-right-token" });
    const { github } = s;

    const error = await failure(stageAndPublish(s.request(await s.assets())));

    expect(error.message).toContain(`looking up the release for tag ${TAG} failed`);
    expect(error.message).toContain("HTTP 401: Bad credentials");
    expect(error.message).toContain('"contents: write" on octo/tool');
    expect(github.writes()).toEqual([]);
  });

  test("an unknown repository (404) points at --repository and the token's access", async () => {
    const s = await start();
    const { github } = s;

    const error = await failure(
      stageAndPublish(s.request(await s.assets(), { repo: "no-such-repo" })),
    );

    expect(error.message).toContain("listing the releases to find");
    expect(error.message).toContain("HTTP 404");
    expect(error.message).toContain("Check --repository (octo/no-such-repo)");
    expect(github.writes()).toEqual([]);
  });

  test("the token is read once and never appears in reports, errors or warnings", async () => {
    const s = await start();
    const { github } = s;
    const token = vi.fn(async () => TOKEN);
    const assets = await s.assets();
    github.failOnce({
      method: "POST",
      path: /^\/uploads\//,
      status: 403,
      message: "You have exceeded a secondary rate limit.",
      headers: { "retry-after": "1" },
    });

    const report = await stageAndPublish(s.request(assets, { token }));
    const errors = [
      await failure(stageAndPublish(s.request(assets, { repo: "missing", token }))),
      await failure(stageAndPublish(s.request(assets, { token: async () => `${TOKEN}-revoked` }))),
    ];

    // Once per run that got as far as building a client.
    expect(token).toHaveBeenCalledTimes(2);
    const everything = [
      JSON.stringify(report),
      ...errors.map((e) => {
        const cause = e.cause as { message: string; request?: unknown; response?: unknown };
        const details = [cause.message, cause.request, cause.response].map((d) =>
          JSON.stringify(d),
        );
        return `${e.message} ${JSON.stringify(e)} ${details.join(" ")}`;
      }),
      ...s.warnings,
    ].join("\n");
    expect(s.warnings.length).toBeGreaterThan(0);
    expect(everything).not.toContain(TOKEN);
    // The serialized request was inspected, with Octokit's redaction in place.
    expect(everything).toContain("[REDACTED]");
    expect(
      github.requests.filter((r) => !r.path.startsWith("/downloads/")).every((r) => r.authorized),
    ).toBe(true);
  });
});

describe("inspectGithubRelease", () => {
  test("no release for the tag: everything is missing and nothing blocks", async () => {
    const s = await start();
    const { github } = s;

    const inspection = await inspectGithubRelease({ ...s.request([]), assetNames: ASSET_NAMES });

    expect(inspection).toEqual({
      tag: TAG,
      tagCommit: null,
      release: "none",
      releaseId: null,
      url: null,
      immutable: false,
      presentAssets: [],
      missingAssets: ASSET_NAMES,
      problems: [],
      manifest: null,
    });
    expect(github.writes()).toEqual([]);
  });

  test("a draft with a starter asset reports what is present and what is missing", async () => {
    const s = await start({
      releases: [
        {
          tag: TAG,
          draft: true,
          assets: [
            { name: TARBALL, content: "x" },
            { name: ZIP, content: "y", state: "starter" },
          ],
        },
      ],
    });
    const { github } = s;

    const inspection = await inspectGithubRelease({ ...s.request([]), assetNames: ASSET_NAMES });

    expect(inspection).toMatchObject({
      release: "draft",
      releaseId: 1,
      immutable: false,
      presentAssets: [TARBALL],
      missingAssets: [ZIP, WHEEL, SUMS],
      problems: [],
    });
    expect(github.writes()).toEqual([]);
  });

  test("a published immutable release missing assets cannot be completed", async () => {
    const s = await start({
      releases: [{ tag: TAG, immutable: true, assets: [{ name: TARBALL, content: "x" }] }],
    });
    const { github } = s;

    const inspection = await inspectGithubRelease({ ...s.request([]), assetNames: [TARBALL, ZIP] });

    expect(inspection).toMatchObject({
      release: "published",
      immutable: true,
      presentAssets: [TARBALL],
      missingAssets: [ZIP],
    });
    expect(inspection.problems).toHaveLength(1);
    expect(inspection.problems[0]).toContain(`published and immutable`);
    expect(inspection.problems[0]).toContain(ZIP);
    expect(github.writes()).toEqual([]);
  });

  test("reports the commit the tag points at, so the release can check it is the one built", async () => {
    const s = await start({ tags: { [TAG]: COMMIT } });
    const inspection = await inspectGithubRelease({ ...s.request([]), assetNames: ASSET_NAMES });
    expect(inspection.tagCommit).toBe(COMMIT);
    expect(s.github.writes()).toEqual([]);
  });
});
