import { PypiPublishError } from "./errors.js";

/** Every URL of one package index; they move together when the index is overridden. */
export interface PackageIndex {
  /** How messages name the index: "PyPI", "TestPyPI", or the override's origin. */
  name: string;
  /** Where files are uploaded (`uv publish --publish-url`), as user `__token__`. */
  uploadUrl: string;
  /** The simple index (`uv publish --check-url`), which lists files with their hashes. */
  simpleUrl: string;
  /** JSON API root: `${jsonApiUrl}/<project>/<version>/json` lists a version's files. */
  jsonApiUrl: string;
  /** Trusted publishing root: `${oidcUrl}/audience` and `${oidcUrl}/mint-token`. */
  oidcUrl: string;
  /** The web site, where a project's trusted publishers are registered. */
  webUrl: string;
}

// PyPI's own documentation (docs.pypi.org, "Publishing with a Trusted Publisher", the manual way)
// uses https://pypi.org/_/oidc/{audience,mint-token}. uv and pypa/gh-action-pypi-publish derive
// the host from the upload URL (upload.pypi.org) instead; Warehouse serves both, and the
// audience value ("pypi" / "testpypi") is the same whichever host answers.
export const PYPI: PackageIndex = {
  name: "PyPI",
  uploadUrl: "https://upload.pypi.org/legacy/",
  simpleUrl: "https://pypi.org/simple/",
  jsonApiUrl: "https://pypi.org/pypi",
  oidcUrl: "https://pypi.org/_/oidc",
  webUrl: "https://pypi.org",
};

export const TEST_PYPI: PackageIndex = {
  name: "TestPyPI",
  uploadUrl: "https://test.pypi.org/legacy/",
  simpleUrl: "https://test.pypi.org/simple/",
  jsonApiUrl: "https://test.pypi.org/pypi",
  oidcUrl: "https://test.pypi.org/_/oidc",
  webUrl: "https://test.pypi.org",
};

const KNOWN_HOSTS: Record<string, PackageIndex> = {
  "pypi.org": PYPI,
  "upload.pypi.org": PYPI,
  "test.pypi.org": TEST_PYPI,
};

/**
 * The index whose web root is `baseUrl` (a Warehouse instance: a private index, or a local fake
 * in tests), with every URL derived from it. PyPI's and TestPyPI's own hosts give their table
 * entries, since PyPI uploads to a different host.
 */
export function packageIndexAt(baseUrl: string, name?: string): PackageIndex {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new PypiPublishError(`The package index URL "${baseUrl}" is not a valid URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new PypiPublishError(`The package index URL "${baseUrl}" must use https (or http).`);
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new PypiPublishError(
      `The package index URL "${url.origin}${url.pathname}" must not carry a query, ` +
        "a fragment or credentials: give only the index's root, e.g. https://pypi.example.com.",
    );
  }
  const known = url.pathname === "/" ? KNOWN_HOSTS[url.host] : undefined;
  if (known) return name === undefined ? known : { ...known, name };
  const root = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  return {
    name: name ?? `the index at ${root}`,
    uploadUrl: `${root}/legacy/`,
    simpleUrl: `${root}/simple/`,
    jsonApiUrl: `${root}/pypi`,
    oidcUrl: `${root}/_/oidc`,
    webUrl: root,
  };
}
