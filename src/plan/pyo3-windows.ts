import semver from "semver";
import { PlanError } from "./errors.js";
import { isTable, parseToml, stringList, type Table, table } from "./toml.js";

/**
 * Before 0.29, pyo3 links an abi3 extension for `*-windows-msvc` against python3.dll through an
 * import library; cross-linked from Linux there is none, unless pyo3's `generate-import-lib`
 * feature makes one (with the python3-dll-a crate and llvm-dlltool, which the xwin image has).
 * From 0.29 pyo3 links with raw-dylib and needs nothing.
 */
export const RAW_DYLIB_PYO3 = "0.29.0";
/** The first pyo3 whose import-library feature has today's name. */
const IMPORT_LIB_FEATURE_SINCE = "0.17.0";
export const IMPORT_LIB_FEATURE = "pyo3/generate-import-lib";

/** What the plan needs to know of a project's pyo3 to build its Windows wheel. */
export interface Pyo3Facts {
  /** The pyo3 version Cargo.lock records. */
  version: string;
  /** Whether python3-dll-a is locked: the import-library feature is on somewhere. */
  importLibLocked: boolean;
  /** The manifest of the package with the extension (a workspace member's, with manifest-path). */
  manifestFile: string;
  /** The line in that manifest that turns the feature on, for the error that asks for it. */
  enableLine: string;
}

function lockedVersion(lock: Table, name: string): string | null {
  const packages = Array.isArray(lock.package) ? lock.package : [];
  const entry = packages.find((p) => isTable(p) && p.name === name && p.source !== undefined);
  return isTable(entry) && typeof entry.version === "string" ? entry.version : null;
}

const quoted = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(", ");

/**
 * The `[features]` entry maturin builds that names pyo3, with the feature added; else the pyo3
 * dependency line with it.
 */
function enableLine(manifest: Table, maturinFeatures: readonly string[]): string {
  const features = table(manifest, "features") ?? {};
  for (const name of maturinFeatures) {
    const entries = stringList(features[name]);
    if (entries.some((e) => e === "dep:pyo3" || e.startsWith("pyo3/"))) {
      const withFeature = [...new Set([...entries, IMPORT_LIB_FEATURE])];
      return `${name} = [${quoted(withFeature)}]   # in [features]`;
    }
  }
  const dependency = table(manifest, "dependencies")?.pyo3;
  const spec = isTable(dependency) ? dependency : { version: String(dependency ?? "*") };
  const parts = Object.entries({
    ...spec,
    features: [...new Set([...stringList(spec.features), "generate-import-lib"])],
  }).map(([key, value]) =>
    Array.isArray(value)
      ? `${key} = [${quoted(stringList(value))}]`
      : `${key} = ${JSON.stringify(value)}`,
  );
  return `pyo3 = { ${parts.join(", ")} }   # in [dependencies]`;
}

/** pyo3's facts for a project with a Python extension, or null when it does not use pyo3. */
export function pyo3Facts(
  manifest: Table,
  manifestFile: string,
  lockText: string,
  maturinFeatures: readonly string[],
): Pyo3Facts | null {
  const lock = parseToml("Cargo.lock", lockText);
  const version = lockedVersion(lock, "pyo3");
  if (version === null) return null;
  return {
    version,
    importLibLocked: lockedVersion(lock, "python3-dll-a") !== null,
    manifestFile,
    enableLine: enableLine(manifest, maturinFeatures),
  };
}

/**
 * The extra cargo features the Windows wheels are built with. A pyo3 that needs an import
 * library gets `pyo3/generate-import-lib`, which can only work when Cargo.lock already holds
 * what it pulls in (every build is --locked); otherwise the plan stops with the line to add,
 * instead of a link failure after a long build. `windows` are the Windows targets the call
 * builds, each with where it was chosen; without any, nothing is asked of pyo3.
 */
export function windowsWheelFeatures(
  pyo3: Pyo3Facts | null,
  windows: readonly { triple: string; chosenBy: string }[],
): string[] {
  if (windows.length === 0) return [];
  if (pyo3 === null || !semver.valid(pyo3.version)) return [];
  if (semver.gte(pyo3.version, RAW_DYLIB_PYO3)) return [];
  const triples = windows.map((w) => w.triple).join(", ");
  const chosenBy = [...new Set(windows.map((w) => w.chosenBy))].join("; ");
  const why =
    `pyo3 ${pyo3.version} (Cargo.lock) links the Windows (${triples}) extension ` +
    "through a python3.dll import library, which only its generate-import-lib feature makes " +
    "when cross-compiling from Linux";
  const orLeaveOut = `(or leave Windows out of the targets: ${chosenBy})`;
  if (semver.lt(pyo3.version, IMPORT_LIB_FEATURE_SINCE)) {
    throw new PlanError(
      `${why}; that feature needs pyo3 ${IMPORT_LIB_FEATURE_SINCE} or later: upgrade pyo3 ` +
        orLeaveOut,
    );
  }
  if (!pyo3.importLibLocked) {
    throw new PlanError(
      `${why}, and it is off. Turn it on in ${pyo3.manifestFile}:\n  ${pyo3.enableLine}\n` +
        "then run `cargo update --workspace` and commit Cargo.lock (it gains python3-dll-a) " +
        `${orLeaveOut}.`,
    );
  }
  return [IMPORT_LIB_FEATURE];
}
