/** What happened to one artifact at one destination. */
export type Outcome =
  | "staged"
  | "would stage"
  | "published"
  | "already there"
  | "would publish"
  | "signed"
  | "would sign"
  | "verified"
  | "would verify"
  | "skipped"
  | "not applicable"
  | "failed";

export interface ReportEntry {
  destination: string;
  artifact: string;
  outcome: Outcome;
  /** A URL, a digest, or why it was skipped or failed. */
  detail: string;
}

/**
 * The release report: every artifact at every destination, in publishing order. Rendered for
 * the terminal; a failure anywhere makes the call fail with the report as its message.
 */
export class ReleaseReport {
  readonly entries: ReportEntry[] = [];
  readonly notes: string[] = [];

  constructor(readonly title: string) {}

  add(destination: string, artifact: string, outcome: Outcome, detail = ""): void {
    this.entries.push({ destination, artifact, outcome, detail });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  get failed(): boolean {
    return this.entries.some((e) => e.outcome === "failed");
  }

  render(): string {
    const lines = [this.title];
    const width = Math.max(0, ...this.entries.map((e) => e.outcome.length));
    let destination = "";
    for (const entry of this.entries) {
      if (entry.destination !== destination) {
        destination = entry.destination;
        lines.push("", destination);
      }
      const detail = entry.detail ? `  ${entry.detail}` : "";
      lines.push(`  ${entry.outcome.padEnd(width)}  ${entry.artifact}${detail}`);
    }
    if (this.notes.length > 0) lines.push("", ...this.notes);
    lines.push("", this.failed ? "FAILED: see the entries marked failed." : "OK");
    return lines.join("\n");
  }
}
