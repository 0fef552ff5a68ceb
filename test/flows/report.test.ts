import { describe, expect, test } from "vitest";
import { parseReportFormat, ReleaseReport } from "../../lib/flows/report.js";
import { PlanError } from "../../lib/plan/errors.js";

function sample(): ReleaseReport {
  const report = new ReleaseReport("Release v1.0.0 of foo (cargo 1.0.0)");
  report.add("GitHub staging", "foo-x86_64-unknown-linux-gnu.tar.gz", "staged", "sha256:ab12");
  report.add(
    "PyPI",
    "-",
    "failed",
    "upload refused: 400 | File already exists\nsee https://pypi.org/help",
  );
  report.note("To resume: run the release for v1.0.0 again.");
  return report;
}

describe("the release report", () => {
  test("text, for the terminal, as before", () => {
    expect(sample().render()).toBe(
      [
        "Release v1.0.0 of foo (cargo 1.0.0)",
        "",
        "GitHub staging",
        "  staged  foo-x86_64-unknown-linux-gnu.tar.gz  sha256:ab12",
        "",
        "PyPI",
        "  failed  -  upload refused: 400 | File already exists\nsee https://pypi.org/help",
        "",
        "To resume: run the release for v1.0.0 again.",
        "",
        "FAILED: see the entries marked failed.",
      ].join("\n"),
    );
  });

  test("markdown, for a job summary: pipes and line breaks cannot break the tables", () => {
    expect(sample().render("markdown")).toBe(
      [
        "### Release v1.0.0 of foo (cargo 1.0.0)",
        "",
        "**GitHub staging**",
        "",
        "| outcome | file | detail |",
        "|---|---|---|",
        "| staged | `foo-x86_64-unknown-linux-gnu.tar.gz` | sha256:ab12 |",
        "",
        "**PyPI**",
        "",
        "| outcome | file | detail |",
        "|---|---|---|",
        "| failed |  | upload refused: 400 \\| File already exists<br>see https://pypi.org/help |",
        "",
        "- To resume: run the release for v1.0.0 again.",
        "",
        "**FAILED**: see the entries marked failed.",
      ].join("\n"),
    );
  });

  test("a file name with a backtick keeps its code span", () => {
    const report = new ReleaseReport("t");
    report.add("d", "a`b.whl", "published");
    expect(report.render("markdown")).toContain("| published | `` a`b.whl `` |  |");
  });

  test.each([
    [undefined, "text"],
    ["text", "text"],
    ["markdown", "markdown"],
  ] as const)("--report-format %s", (value, format) => {
    expect(parseReportFormat(value)).toBe(format);
  });

  test("another format is refused, naming both", () => {
    expect(() => parseReportFormat("md")).toThrow(PlanError);
    expect(() => parseReportFormat("md")).toThrow(
      'invalid --report-format "md": give text (the default) or markdown (for a GitHub job summary)',
    );
  });
});
