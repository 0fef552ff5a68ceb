/** What never reaches cargo from --source (the module-level flag's `ignore`). */
export { SOURCE_IGNORE } from "../stages/source-ignore.js";
