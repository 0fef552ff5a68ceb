/** The interpreter every non-build step runs: the pinned python slim image has nothing else. */
export const PYTHON = "python3";

/**
 * Orders names as Python's `sorted` orders str (by code point), so what a pure function
 * plans and what the scripts write agree; UTF-8 byte order is code point order.
 */
export function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
