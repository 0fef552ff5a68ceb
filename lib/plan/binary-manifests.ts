/**
 * The manifests the binaries' cargo build reads in place of the release's: a library declared
 * `crate-type = ["cdylib", "rlib"]` (the seed's shape: the same crate is the CLI's library and
 * the Python extension) becomes `["rlib"]` there.
 *
 * Why: the binaries need the rlib only, and with `lto` in the release profile cargo compiles
 * every dependency of a mixed cdylib+rlib library with objects AND bitcode, under another
 * `-C metadata` than the bitcode-only units maturin's `cargo rustc --crate-type cdylib` asks for
 * (cargo's `lto.rs`). So the wheel step could reuse none of the binaries' dependencies and
 * compiled them all again, and the binary step linked a cdylib nobody ships. With the rlib
 * alone, both builds ask for the same units: each dependency compiles once per target. The
 * binaries are the same program (source, features and profile unchanged; the dependencies reach
 * LTO as bitcode alone): with Rust dependencies alone the same bytes, with C code in the link
 * laid out differently (test/commands/shared-build.test.ts). Wheels, the sdist and every
 * published file keep the project's own manifests.
 */
import { parseToml, stringList, table } from "./toml.js";
import { valueRange } from "./toml-positions.js";

/** Path (relative to the source root) -> the text the binaries' build reads instead. */
export type BinaryManifests = Record<string, string>;

const RLIB_ONLY = '["rlib"]';

/** Whether a library of these crate types is a cdylib that Rust code can also link. */
function mixedCdylib(crateTypes: readonly string[]): boolean {
  return crateTypes.includes("cdylib") && crateTypes.some((t) => t === "rlib" || t === "lib");
}

/**
 * For each manifest (path -> text, as the release builds it: version patched) whose `[lib]` is a
 * cdylib and an rlib, the same text with that crate-type list replaced by `["rlib"]`, every
 * other byte kept.
 */
export async function binaryBuildManifests(
  manifests: Readonly<Record<string, string>>,
): Promise<BinaryManifests> {
  const out: BinaryManifests = {};
  for (const [path, text] of Object.entries(manifests)) {
    const lib = table(parseToml(path, text), "lib");
    if (!lib || !mixedCdylib(stringList(lib["crate-type"]))) continue;
    const range = await valueRange(text, ["lib", "crate-type"]);
    // Not found where smol-toml read it: then the build is merely not shared, never wrong.
    if (!range) continue;
    out[path] = `${text.slice(0, range[0])}${RLIB_ONLY}${text.slice(range[1])}`;
  }
  return out;
}
