import semver from "semver";
import { PlanError } from "./errors.js";

/** Everything the release needs to know about the version a tag names. */
export interface ReleaseVersion {
  /** The git tag, e.g. `v1.2.3-rc.1`. */
  tag: string;
  /** The version as Cargo writes it: the tag without `v`. */
  cargo: string;
  /** The same version as PEP 440 spells it (what maturin writes into wheels), e.g. `1.2.3rc1`. */
  pep440: string;
  prerelease: boolean;
  major: number;
  minor: number;
  patch: number;
}

const ACCEPTED_FORM = "vMAJOR.MINOR.PATCH with an optional prerelease, like v1.2.3 or v1.2.3-rc.1";

/**
 * PEP 440 pre-release spellings (normalised the way packaging/maturin normalise them), keyed by
 * the semver label. `dev` is a development release, which PEP 440 writes as `.devN`.
 */
const PEP440_PRERELEASE: Record<string, string> = {
  alpha: "a",
  a: "a",
  beta: "b",
  b: "b",
  rc: "rc",
  c: "rc",
  pre: "rc",
  preview: "rc",
  dev: ".dev",
};

function reject(tag: string, reason: string): never {
  throw new PlanError(`invalid tag "${tag}": ${reason}. Expected ${ACCEPTED_FORM}.`);
}

/**
 * Parses a release tag into its versions. The tag is the only source of the version, so anything
 * that PyPI, Cargo or the image tags could not represent exactly is refused here, before any work.
 */
export function parseTag(tag: string): ReleaseVersion {
  if (tag.trim() === "") reject(tag, "the tag is empty");
  if (tag !== tag.trim()) reject(tag, "it has leading or trailing whitespace");
  if (!tag.startsWith("v")) reject(tag, 'it must start with "v"');
  const cargo = tag.slice(1);
  if (cargo.includes("+")) {
    reject(tag, "build metadata (+...) is not allowed, because PyPI refuses local versions");
  }
  const parsed = semver.parse(cargo, { loose: false });
  if (!parsed) {
    const core = cargo.split("-")[0] ?? "";
    const parts = core.split(".");
    if (parts.length !== 3) {
      reject(tag, `it has ${parts.length} version number(s) where three are required`);
    }
    const numbers = cargo.split(/[.-]/).filter((p) => /^\d+$/.test(p));
    if (numbers.some((p) => /^0\d/.test(p))) reject(tag, "numbers must not have leading zeros");
    reject(tag, "it is not a valid semantic version");
  }
  return {
    tag,
    cargo,
    pep440: toPep440(tag, parsed),
    prerelease: parsed.prerelease.length > 0,
    major: parsed.major,
    minor: parsed.minor,
    patch: parsed.patch,
  };
}

function toPep440(tag: string, version: semver.SemVer): string {
  const release = `${version.major}.${version.minor}.${version.patch}`;
  if (version.prerelease.length === 0) return release;
  // `rc.1`, `rc1` and `rc` are all common in tags; PEP 440 knows one label and one number.
  const joined = version.prerelease.join(".");
  const match = /^([a-z]+)\.?(\d+)?$/i.exec(joined);
  const label = match?.[1]?.toLowerCase();
  const pep = label === undefined ? undefined : PEP440_PRERELEASE[label];
  if (!match || pep === undefined) {
    reject(
      tag,
      `the prerelease "${joined}" has no PEP 440 equivalent for PyPI; use alpha.N, beta.N, rc.N or dev.N`,
    );
  }
  return `${release}${pep}${Number(match[2] ?? 0)}`;
}

/**
 * The versions of a build without a tag: Cargo.toml's own version, read by the same rules as a
 * tag (`0.1.0` is read as `v0.1.0`), so that wheels and checks get the same PEP 440 spelling.
 */
export function untaggedVersion(cargoVersion: string, manifestFile: string): ReleaseVersion {
  try {
    return parseTag(`v${cargoVersion}`);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    throw new PlanError(
      `${manifestFile} has version "${cargoVersion}", which a release cannot carry ` +
        `(${error.message}); pass --tag with the version to build`,
    );
  }
}
