/**
 * The part of GitHub's REST API this module uses through Octokit, in types of our own.
 *
 * The engine's runtime scans (type-checks) every file of src/ and all it imports on each
 * invocation of the module, and Octokit's declarations (GitHub's whole OpenAPI schema, three
 * copies) were most of that work. So no file of src/ names an Octokit package where TypeScript
 * follows it; test/publishers/octokit-conformance.ts proves these types against Octokit's own.
 * They list only the fields this module reads and the parameters it passes.
 *
 * Parameters are type aliases, not interfaces: Octokit's parameter types have an index signature,
 * which only anonymous object types satisfy.
 */
export interface RemoteAsset {
  id: number;
  name: string;
  /** `open`: left by a failed upload, it holds no usable file and blocks the name. */
  state: "uploaded" | "open";
  size: number;
  /** `sha256:<hex>`; null on assets uploaded before GitHub computed digests. */
  digest: string | null;
  browser_download_url: string;
}

export interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  immutable?: boolean;
  html_url: string;
  /** A URL template: `https://uploads.github.com/.../assets{?name,label}`. */
  upload_url: string;
  assets: RemoteAsset[];
}

/** A Sigstore bundle as GitHub's attestations API takes it (the JSON @sigstore/bundle writes). */
export type AttestationBundle = {
  mediaType?: string;
  verificationMaterial?: { [key: string]: unknown };
  dsseEnvelope?: { [key: string]: unknown };
};

/** One attestation GitHub holds for a digest. */
export interface StoredAttestation {
  bundle?: AttestationBundle | null;
  repository_id?: number;
  /** Newer API versions serve the bundle here instead (snappy protobuf-JSON). */
  bundle_url?: string;
}

type RepositoryParams = { owner: string; repo: string };

/** One REST endpoint method of `octokit.rest`: its parameters besides `owner` and `repo`. */
type Endpoint<Params, Data> = (params: RepositoryParams & Params) => Promise<{ data: Data }>;

type TargetCommit = {
  /** Where the tag is created when it does not exist yet. */
  target_commitish?: string;
};

export type NewRelease = TargetCommit & {
  tag_name: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  /** Octokit's per-request options: `retries: 0` turns the retry plugin off for this request. */
  request?: { retries: number };
};

export type ReleaseUpdate = {
  release_id: number;
  name: string;
  draft: boolean;
  prerelease: boolean;
  make_latest: "true" | "false";
};

/** `octokit.request` for an asset upload: the raw bytes POSTed to the release's upload URL. */
export type AssetUpload = {
  method: "POST";
  /** The upload URL with the `{?name}` template Octokit fills from `name`. */
  url: string;
  name: string;
  data: Buffer;
  headers: { "content-type": string; "content-length": number };
};

/** The lists this module pages through with `octokit.paginate`, by route. */
export interface PagedLists {
  "GET /repos/{owner}/{repo}/releases": {
    params: RepositoryParams & { per_page: number };
    item: Release;
  };
  "GET /repos/{owner}/{repo}/releases/{release_id}/assets": {
    params: RepositoryParams & { release_id: number; per_page: number };
    item: RemoteAsset;
  };
}

/** `octokit.paginate(route, params, map?)`: every page's items, or what `map` keeps of each page. */
export interface Paginate {
  <Route extends keyof PagedLists>(
    route: Route,
    params: PagedLists[Route]["params"],
  ): Promise<PagedLists[Route]["item"][]>;
  <Route extends keyof PagedLists>(
    route: Route,
    params: PagedLists[Route]["params"],
    /** Calling `done` stops after this page. */
    map: (
      page: { data: PagedLists[Route]["item"][] },
      done: () => void,
    ) => PagedLists[Route]["item"][],
  ): Promise<PagedLists[Route]["item"][]>;
}

/** An Octokit client with the retry and throttling plugins, as this module calls it. */
export interface GithubClient {
  rest: {
    repos: {
      getReleaseByTag: Endpoint<{ tag: string }, Release>;
      createRelease: Endpoint<NewRelease, Release>;
      updateRelease: Endpoint<ReleaseUpdate, Release>;
      generateReleaseNotes: Endpoint<{ tag_name: string } & TargetCommit, { body: string }>;
      /** With `accept: application/octet-stream` the data is the asset's bytes (an ArrayBuffer). */
      getReleaseAsset: Endpoint<
        { asset_id: number; headers: { accept: "application/octet-stream" } },
        unknown
      >;
      deleteReleaseAsset: Endpoint<{ asset_id: number }, unknown>;
      /** Records a Sigstore bundle (needs `permissions: attestations: write`). */
      createAttestation: Endpoint<{ bundle: AttestationBundle }, { id?: number }>;
      /** The attestations whose statement has a subject with this digest (`sha256:<hex>`). */
      listAttestations: Endpoint<
        { subject_digest: string; per_page: number },
        { attestations?: StoredAttestation[] }
      >;
    };
    git: {
      getRef: Endpoint<{ ref: string }, { object: { type: string; sha: string } }>;
      getTag: Endpoint<{ tag_sha: string }, { object: { sha: string } }>;
    };
  };
  paginate: Paginate;
  request: (upload: AssetUpload) => Promise<{ data: unknown }>;
}
