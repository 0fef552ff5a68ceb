import { describe, expect, test } from "vitest";
import { OUTPUT_LIMITS, settleAll, summarizeOutput } from "../../lib/stages/exec-errors.js";
import { failureOf } from "../commands/sample-binaries.js";
import { run } from "../example/tools.js";
import { scratchDir, writeTree } from "../support/projects.js";

/** A crate with many compile errors: what a real error message must survive. */
const BROKEN = {
  "Cargo.toml": '[package]\nname = "broken"\nversion = "0.1.0"\nedition = "2021"\n',
  "src/main.rs": `fn main() {
    let total = 1;
    println!("{}", totl);
${Array.from({ length: 30 }, (_, i) => `    println!("{}", missing_${i});`).join("\n")}
}
`,
};

describe("summarizeOutput", () => {
  test("keeps rustc's first error with its source excerpt and cargo's last words, from real cargo", async () => {
    const dir = scratchDir("broken-crate");
    try {
      writeTree(dir.path, BROKEN);
      const failure = await failureOf(
        run("cargo", ["build", "--offline"], {
          cwd: dir.path,
          env: {
            ...process.env,
            CARGO_TERM_COLOR: "never",
            CARGO_TARGET_DIR: `${dir.path}/target`,
          },
        }),
      );
      const stderr = failure.slice(
        failure.indexOf("--- stderr ---\n") + 15,
        failure.indexOf("\n--- stdout ---"),
      );
      expect(stderr.split("\n").length).toBeGreaterThan(
        OUTPUT_LIMITS.tailLines + OUTPUT_LIMITS.blockLines,
      );
      const summary = summarizeOutput(stderr);
      expect(summary).toMatch(
        /^error\[E0425\]: cannot find value `totl` in this scope\n +--> src\/main\.rs:\d+:\d+/,
      );
      expect(summary).toContain("help: a local variable with a similar name exists");
      // The errors in between are left out; the last lines stay.
      expect(summary).not.toContain("missing_15");
      expect(summary).toMatch(
        /error: could not compile `broken` \(bin "broken"\) due to \d+ previous error/,
      );
      expect(summary).toMatch(/\[\.\.\. \d+ more line\(s\) \.\.\.\]/);
      expect(summary.length).toBeLessThanOrEqual(OUTPUT_LIMITS.chars);
    } finally {
      dir.remove();
    }
  });

  test("a script's one-line message is kept as it is", () => {
    expect(summarizeOutput("aarch64-apple-darwin: expected Mach-O 64-bit arm64, found ELF\n")).toBe(
      "aarch64-apple-darwin: expected Mach-O 64-bit arm64, found ELF",
    );
  });

  test("maturin's failure and a Python traceback start the kept block", () => {
    const maturin = [
      "📦 Built",
      ...Array(50).fill("noise"),
      "💥 maturin failed",
      "  Caused by: x",
      "",
      ...Array(20).fill("tail"),
    ].join("\n");
    expect(summarizeOutput(maturin)).toMatch(
      /^💥 maturin failed\n {2}Caused by: x\n\[\.\.\. 9 more line\(s\) \.\.\.\]\ntail/,
    );
    const traceback = 'Traceback (most recent call last):\n  File "x.py"\nValueError: no';
    const noisy = `${Array(30).fill("noise").join("\n")}\n${traceback}\n\n${Array(15).fill("tail").join("\n")}`;
    expect(summarizeOutput(noisy).startsWith(`${traceback}\n[... 4 more line(s) ...]\ntail`)).toBe(
      true,
    );
  });

  test("the size stays bounded whatever the output", () => {
    const huge = `error: boom\n${"x".repeat(100_000)}\n`;
    expect(summarizeOutput(huge).length).toBeLessThanOrEqual(OUTPUT_LIMITS.chars);
  });
});

describe("settleAll", () => {
  test("waits for every step and names each failure", async () => {
    let slowFinished = false;
    const slow = new Promise<string>((resolve) =>
      setTimeout(() => {
        slowFinished = true;
        resolve("slow");
      }, 20),
    );
    const message = await failureOf(
      settleAll([
        { label: "a", run: Promise.reject(new Error("a: broke")) },
        { label: "b", run: slow },
        { label: "c", run: Promise.reject(new Error("no such file")) },
      ]),
    );
    expect(slowFinished).toBe(true);
    expect(message).toBe("2 of 3 steps failed:\n\na: broke\n\nc: no such file");
  });

  test("one failure is rethrown as it is; no failure gives every value in order", async () => {
    const only = new Error("only");
    await expect(settleAll([{ label: "x", run: Promise.reject(only) }])).rejects.toBe(only);
    await expect(
      settleAll([
        { label: "x", run: Promise.resolve(1) },
        { label: "y", run: Promise.resolve(2) },
      ]),
    ).resolves.toEqual([1, 2]);
  });
});
