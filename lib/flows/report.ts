import { PlanError } from "../plan/errors.js";

/** How the report is written: for a terminal, or Markdown for a job summary. */
export type ReportFormat = "text" | "markdown";

/** `--report-format`, checked before any work. */
export function parseReportFormat(value: string | undefined): ReportFormat {
  if (value === undefined || value === "text" || value === "markdown") return value ?? "text";
  throw new PlanError(
    `invalid --report-format "${value}": give text (the default) or markdown (for a GitHub job summary)`,
  );
}

/** A Markdown table cell: pipes escaped, line breaks as <br>. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replace(/\r?\n/g, "<br>");
}

/** Inline code, with a fence longer than any run of backticks inside. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${longest > 0 ? " " : ""}${text}${longest > 0 ? " " : ""}${fence}`;
}

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

  render(format: ReportFormat = "text"): string {
    return format === "markdown" ? this.markdown() : this.text();
  }

  /** One table per destination, the notes as a list, and the outcome last. */
  private markdown(): string {
    const lines = [`### ${this.title}`];
    let destination: string | null = null;
    for (const entry of this.entries) {
      if (entry.destination !== destination) {
        destination = entry.destination;
        lines.push(
          "",
          `**${cell(destination)}**`,
          "",
          "| outcome | file | detail |",
          "|---|---|---|",
        );
      }
      const artifact = entry.artifact === "-" ? "" : code(entry.artifact);
      lines.push(`| ${entry.outcome} | ${cell(artifact)} | ${cell(entry.detail)} |`);
    }
    if (this.notes.length > 0) lines.push("", ...this.notes.map((n) => `- ${cell(n)}`));
    lines.push("", this.failed ? "**FAILED**: see the entries marked failed." : "**OK**");
    return lines.join("\n");
  }

  private text(): string {
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
