import { type Directory, ExistsType } from "@dagger.io/dagger";
import { PlanError } from "../plan/errors.js";
import { type ProjectFiles, type ProjectManifest, readManifest } from "../plan/manifest.js";
import { patchVersion } from "../plan/patch.js";
import { loadProjectFiles, type SourceReader } from "../plan/project-files.js";
import { buildReleasePlan, type PlanInput, type ReleasePlan } from "../plan/release-plan.js";
import { parseTag, type ReleaseVersion } from "../plan/version.js";
import { type ToolchainInput, vendoredDependencies } from "./toolchain.js";

/** Archives and images carry this time unless the commit's is given: zip's earliest date. */
export const FIXED_EPOCH = 315532800;

/** Reads a Dagger Directory the way the plan reads any source tree. */
export function directoryReader(source: Directory): SourceReader {
  return {
    async read(path) {
      const exists = await source.exists(path, { expectedType: ExistsType.RegularType });
      return exists ? source.file(path).contents() : null;
    },
    async glob(pattern) {
      return (await source.glob(pattern)).map((p) => p.replace(/\/$/, ""));
    },
  };
}

export function readProjectFiles(source: Directory): Promise<ProjectFiles> {
  return loadProjectFiles(directoryReader(source));
}

/** The release plan of a source directory. */
export async function planRelease(
  source: Directory,
  input: Omit<PlanInput, "files">,
): Promise<ReleasePlan> {
  return buildReleasePlan({ ...input, files: await readProjectFiles(source) });
}

/** What every build stage needs: the source to build (version patched) and what it holds. */
export interface BuildContext extends ToolchainInput {
  manifest: ProjectManifest;
  /** The tag's versions when building a release; null builds the version in Cargo.toml. */
  release: ReleaseVersion | null;
  /** The Cargo version the artifacts carry. */
  version: string;
  /** LICENSE and README files at the source root, shipped in every archive. */
  docs: string[];
  /** Timestamp for archive entries and image metadata (unix seconds). */
  sourceDateEpoch: number;
}

async function rootDocs(source: Directory): Promise<string[]> {
  const found = await Promise.all(
    ["LICENSE*", "LICENCE*", "README*", "COPYING*"].map((pattern) => source.glob(pattern)),
  );
  const candidates = [...new Set(found.flat().map((p) => p.replace(/\/$/, "")))].sort();
  const files = await Promise.all(
    candidates.map(async (path) =>
      (await source.exists(path, { expectedType: ExistsType.RegularType })) ? [path] : [],
    ),
  );
  return files.flat();
}

/** What every function that builds takes besides the source. */
export interface BuildOptions {
  tag?: string | null;
  sourceDateEpoch?: number | null;
  /** `--cargo-package`: the workspace package to release. */
  cargoPackage?: string | null;
}

/**
 * Reads the project, and with a tag patches its version into Cargo.toml and Cargo.lock (and a
 * static pyproject.toml version), so the built artifacts report the tag's version and
 * `cargo --locked` accepts the source.
 */
export async function buildContext(
  source: Directory,
  options: BuildOptions,
): Promise<BuildContext> {
  const release = options.tag ? parseTag(options.tag) : null;
  const epoch = options.sourceDateEpoch ?? FIXED_EPOCH;
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new PlanError(
      `invalid --source-date-epoch ${epoch}: give whole unix seconds, e.g. $(git log -1 --format=%ct)`,
    );
  }
  const files = await readProjectFiles(source);
  const manifest = readManifest(files, { cargoPackage: options.cargoPackage ?? null });
  let patched = source;
  if (release) {
    for (const [path, text] of Object.entries(patchVersion(files, manifest, release.cargo))) {
      patched = patched.withNewFile(path, text);
    }
  }
  const toolchain = {
    source: patched,
    channel: manifest.toolchain?.channel ?? null,
    cacheNamespace: `rust-release-${manifest.packageName}`,
  };
  return {
    ...toolchain,
    vendored: vendoredDependencies(toolchain),
    manifest,
    release,
    version: release?.cargo ?? manifest.version,
    docs: await rootDocs(source),
    sourceDateEpoch: epoch,
  };
}
