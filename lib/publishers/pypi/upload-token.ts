import { inspect } from "node:util";

const HIDDEN = "[PyPI upload token, hidden]";

/**
 * A short-lived upload token minted by an index (valid 15 minutes on PyPI). Printing, logging or
 * serialising it shows a placeholder; only `reveal()` gives the value, for a Dagger Secret.
 */
export class UploadToken {
  readonly #value: string;

  constructor(
    value: string,
    /** The index that minted it, e.g. "TestPyPI": a token is valid on that index only. */
    readonly index: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return HIDDEN;
  }

  toJSON(): string {
    return HIDDEN;
  }

  [inspect.custom](): string {
    return `UploadToken(${this.index}) ${HIDDEN}`;
  }
}
