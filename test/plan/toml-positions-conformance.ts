/**
 * lib/plan/toml-positions.ts knows toml-eslint-parser only by narrow types, which keep its
 * declarations out of the engine's scan. This file proves them against the library's own: it is
 * compiled by the type-check of `npm test` and fails it if the parser would not accept what
 * src/ passes or answers without a field src/ reads. (toml-positions.test.ts runs it.)
 */
import * as tomlEslintParser from "toml-eslint-parser";
import type { TomlPositionParser } from "../../lib/plan/toml-positions.js";

export const parser: TomlPositionParser = tomlEslintParser;
