/** Quotes one word for a POSIX shell: safe words stay as they are, others go in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** One shell command line from an argv, each word quoted. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/**
 * Runs several commands as one step (`sh -ec`), stopping at the first failure: what must happen
 * while a cache volume is held (build, then copy the result out) cannot be split across steps.
 */
export function shellSteps(...commands: (readonly string[])[]): string[] {
  return ["sh", "-ec", commands.map(shellLine).join("\n")];
}
