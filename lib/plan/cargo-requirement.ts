/**
 * Cargo version requirements (`^0.4.14`, `=1.2.3`, `~1.2`, `1.*`, `>=0.4, <1`) and how one
 * follows a new version. Matching is npm's semver, which agrees with cargo's once a bare
 * comparator is read as cargo reads it (`1.2` is `^1.2`), prereleases included (only a
 * comparator with a prerelease of the same major.minor.patch admits one). The rewrite is
 * cargo's own, `upgrade_requirement` (rust-lang/cargo src/cargo/util/toml_mut/upgrade.rs, from
 * cargo-edit), applied inside the written text so the user's operator, spacing and precision stay.
 */
import semver from "semver";

type Operator = "=" | ">" | ">=" | "<" | "<=" | "~" | "^" | "*";

/** One comparator as written, and where its version part sits inside the requirement. */
interface Comparator {
  op: Operator;
  /** Whether the operator is written (`^1.2`) or implied (`1.2`). */
  explicit: boolean;
  minor: boolean;
  patch: boolean;
  start: number;
  end: number;
  /** `*`, `x` or `X` of a wildcard comparator (`1.*`), else null. */
  wildcard: string | null;
}

const NUMBER = "(?:0|[1-9]\\d*)";
const WILD = "[*xX]";
const IDENT = "[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*";
const COMPARATOR = new RegExp(
  `^(\\s*)(>=|<=|=|>|<|~|\\^)?(\\s*)(${NUMBER}(?:\\.(${NUMBER}|${WILD}))?(?:\\.(${NUMBER}|${WILD}))?(?:-${IDENT})?(?:\\+${IDENT})?)\\s*$`,
);

/** Why a requirement cannot follow a version; the caller adds where it is written. */
export class RequirementRefusal extends Error {
  override name = "RequirementRefusal";
}

function parse(text: string): Comparator[] {
  if (/^\s*[*xX]\s*$/.test(text)) return [];
  let offset = 0;
  return text.split(",").map((part) => {
    const m = COMPARATOR.exec(part);
    const [, lead = "", opText, gap = "", version = "", minor, patch] = m ?? [];
    const wildcard = [minor, patch].find((p) => p !== undefined && /^[*xX]$/.test(p)) ?? null;
    const bad =
      !m ||
      (minor !== undefined && /^[*xX]$/.test(minor) && patch !== undefined) ||
      (wildcard !== null && (version.includes("-") || (opText ?? "=") !== "="));
    if (bad) throw new RequirementRefusal(`\`${text}\` is not a cargo version requirement`);
    const start = offset + lead.length + (opText?.length ?? 0) + gap.length;
    offset += part.length + 1;
    return {
      op: wildcard !== null ? "*" : ((opText as Operator | undefined) ?? "^"),
      explicit: opText !== undefined,
      minor: minor !== undefined && wildcard !== minor,
      patch: patch !== undefined && wildcard !== patch,
      start,
      end: start + version.length,
      wildcard,
    };
  });
}

/** The requirement as an npm range: the same versions, cargo's implied caret made explicit. */
function npmRange(text: string, comparators: readonly Comparator[]): string {
  if (comparators.length === 0) return "*";
  return comparators
    .map((c) => {
      const version = text.slice(c.start, c.end);
      return c.op === "*" ? version : `${c.op}${version}`;
    })
    .join(" ");
}

/** Whether cargo's requirement `text` accepts `version`. */
export function requirementMatches(text: string, version: string): boolean {
  return semver.satisfies(version, npmRange(text, parse(text)));
}

/** The version part of a comparator at its own precision (cargo-edit's `assign_partial_req`). */
function atPrecision(c: Comparator, to: semver.SemVer): string {
  if (c.op === "*") {
    return c.minor ? `${to.major}.${to.minor}.${c.wildcard}` : `${to.major}.${c.wildcard}`;
  }
  const parts = [to.major, ...(c.minor ? [to.minor] : []), ...(c.patch ? [to.patch] : [])];
  const pre = to.prerelease.length > 0 && c.minor && c.patch ? `-${to.prerelease.join(".")}` : "";
  return parts.join(".") + pre;
}

function splice(text: string, edits: readonly { start: number; end: number; text: string }[]) {
  return [...edits]
    .sort((a, b) => b.start - a.start)
    .reduce((out, e) => out.slice(0, e.start) + e.text + out.slice(e.end), text);
}

const RANGE_OPERATORS: readonly Operator[] = [">", ">=", "<", "<="];

/**
 * The requirement after its package's version becomes `to`, or null when it already names
 * `to` or is a range that still accepts it. Every comparator takes the new numbers at its own
 * precision (`=0.4.14` -> `=0.5.0`, `^0.4` -> `^0.5`, `1` -> `2`, `1.*` -> `2.*`); range
 * comparators stay as written (`0.4.14, <1` -> `0.5.0, <1`). Where that does not accept `to` (a
 * prerelease against a partial version: `1.2` for `1.30.0-rc1`) the full version takes the
 * single operator's place (`1.30.0-rc1`, `~1.30.0-rc1`; cargo falls back to a caret there, this
 * keeps the user's `=` and `~`, which match too). Throws a RequirementRefusal when nothing fits.
 */
export function followRequirement(text: string, to: string): string | null {
  const version = new semver.SemVer(to);
  const comparators = parse(text);
  if (comparators.length === 0) {
    if (requirementMatches(text, to)) return null;
    throw new RequirementRefusal(`\`${text}\` does not accept the prerelease ${to}`);
  }
  const edits = comparators
    .filter((c) => !RANGE_OPERATORS.includes(c.op))
    .map((c) => ({ start: c.start, end: c.end, text: atPrecision(c, version) }));
  let rewritten = splice(text, edits);
  if (!requirementMatches(rewritten, to)) {
    const [only, ...more] = comparators;
    if (!only || more.length > 0 || RANGE_OPERATORS.includes(only.op) || only.op === "*") {
      throw new RequirementRefusal(
        `\`${text}\` does not accept ${to} and has no single operator to keep`,
      );
    }
    rewritten = splice(text, [{ start: only.start, end: only.end, text: version.version }]);
  }
  return rewritten === text ? null : rewritten;
}
