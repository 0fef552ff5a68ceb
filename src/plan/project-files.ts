import { PlanError } from "./errors.js";
import { type ProjectFiles, parseToml } from "./manifest.js";

/**
 * Read access to a project's source tree, relative to its root. The plan only ever reads
 * through this, so the same code serves a local directory and a Dagger Directory.
 */
export interface SourceReader {
  /** The text of a file, or null when there is no such file. */
  read(path: string): Promise<string | null>;
  /** Paths of existing files or directories matching a pattern whose `*` stay within one segment. */
  glob(pattern: string): Promise<string[]>;
}

/** The files Cargo discovers binaries from, for one package directory ("" for the root). */
async function binarySources(reader: SourceReader, dir: string): Promise<string[]> {
  const prefix = dir === "" ? "" : `${dir}/`;
  const patterns = ["src/main.rs", "src/bin/*.rs", "src/bin/*/main.rs"];
  const found = await Promise.all(patterns.map((p) => reader.glob(`${prefix}${p}`)));
  return found.flat().sort();
}

/** Reads the manifests and the file listing the plan needs. */
export async function loadProjectFiles(reader: SourceReader): Promise<ProjectFiles> {
  const [cargoToml, cargoLock, pyprojectToml, toolchainToml, toolchainLegacy] = await Promise.all([
    reader.read("Cargo.toml"),
    reader.read("Cargo.lock"),
    reader.read("pyproject.toml"),
    reader.read("rust-toolchain.toml"),
    reader.read("rust-toolchain"),
  ]);
  if (cargoToml === null) {
    throw new PlanError(
      "the source has no Cargo.toml at its root: pass the project directory with --source",
    );
  }

  const workspace = parseToml("Cargo.toml", cargoToml).workspace;
  const declared =
    typeof workspace === "object" && workspace !== null && "members" in workspace
      ? workspace.members
      : undefined;
  const memberPatterns = Array.isArray(declared)
    ? declared.filter((m): m is string => typeof m === "string")
    : [];
  const memberDirs = (
    await Promise.all(memberPatterns.map((pattern) => reader.glob(pattern.replace(/\/$/, ""))))
  )
    .flat()
    .sort();
  const members: Record<string, string> = {};
  for (const dir of memberDirs) {
    const text = await reader.read(`${dir}/Cargo.toml`);
    if (text !== null) members[dir] = text;
  }
  const sourceFiles = (
    await Promise.all(["", ...Object.keys(members)].map((dir) => binarySources(reader, dir)))
  ).flat();

  return {
    cargoToml,
    cargoLock,
    pyprojectToml,
    rustToolchain:
      toolchainToml !== null
        ? { file: "rust-toolchain.toml", text: toolchainToml }
        : toolchainLegacy !== null
          ? { file: "rust-toolchain", text: toolchainLegacy }
          : null,
    members,
    sourceFiles,
  };
}
