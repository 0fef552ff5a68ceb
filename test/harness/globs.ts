/** Dockerignore-style patterns, as Dagger applies them to `ignore`, `exclude` and `include`. */

function patternToRegExp(pattern: string): RegExp {
  let source = "";
  const p = pattern.replace(/^\/+/, "").replace(/\/+$/, "");
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === "*" && p[i + 1] === "*") {
      const slash = p[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") {
      source += "[^/]*";
    } else if (c === "?") {
      source += "[^/]";
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/** Whether `path` or one of its parent directories matches `pattern`. */
export function matchesPattern(path: string, pattern: string): boolean {
  const re = patternToRegExp(pattern);
  const parts = path.split("/");
  for (let n = parts.length; n > 0; n--) {
    if (re.test(parts.slice(0, n).join("/"))) return true;
  }
  return false;
}

/** Applies patterns in order; a later `!pattern` re-includes what an earlier one excluded. */
export function isExcluded(path: string, patterns: readonly string[]): boolean {
  let excluded = false;
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) {
      if (excluded && matchesPattern(path, pattern.slice(1))) excluded = false;
    } else if (!excluded && matchesPattern(path, pattern)) {
      excluded = true;
    }
  }
  return excluded;
}

/** Include patterns: a file is kept when it (or a parent) matches one; no patterns keeps all. */
export function isIncluded(path: string, patterns: readonly string[] | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((p) => matchesPattern(path, p));
}

/** A glob over full relative paths (Directory.glob): `*` stays in a segment, `**` crosses them. */
export function globMatches(path: string, pattern: string): boolean {
  return patternToRegExp(pattern).test(path);
}
