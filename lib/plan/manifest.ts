import { PlanError } from "./errors.js";
import { projectPackages, selectPackage } from "./packages.js";
import type { ProjectFiles } from "./project-files.js";
import { maturinPyproject, type PythonProject, pythonProject } from "./python-project.js";
import { type ReleaseMetadata, readReleaseMetadata } from "./release-metadata.js";
import { isTable, parseToml, stringAt, stringList, type Table, table } from "./toml.js";

export interface ProjectManifest {
  packageName: string;
  /** Directory of the released package relative to the source root ("" for the root). */
  packageDir: string;
  /** The version the manifests record now. */
  version: string;
  /** Where that version lives: the package's own table or `[workspace.package]`. */
  versionSource: "package" | "workspace";
  /** Packages whose lock entries carry the workspace version (all members that inherit it). */
  versionedPackages: string[];
  bins: string[];
  /** The binary the archives and the image's entrypoint are named after (see primaryBinary). */
  primaryBin: string;
  libName: string | null;
  crateTypes: string[];
  rustVersion: string | null;
  /** `[package]` description, license (SPDX) and repository URL, for image labels. */
  description: string | null;
  license: string | null;
  repositoryUrl: string | null;
  python: PythonProject | null;
  toolchain: { file: string; channel: string | null } | null;
  /** LICENSE and README files at the source root, shipped in every archive. */
  docs: string[];
  /** What the project sets in `[package.metadata.rust-release]` (or the workspace's). */
  releaseMetadata: ReleaseMetadata;
}

/** The binary the archives are named after: the one named like the package, else the first. */
function primaryBinary(packageName: string, bins: readonly string[]): string {
  return bins.includes(packageName) ? packageName : (bins[0] ?? packageName);
}

/** A `[package]` field, or the workspace's when the package inherits it (`x.workspace = true`). */
function inherited(pkg: Table, root: Table, key: string): string | null {
  const own = pkg[key];
  if (typeof own === "string") return own;
  if (isTable(own) && own.workspace === true) {
    return stringAt(table(table(root, "workspace") ?? {}, "package"), key) ?? null;
  }
  return null;
}

function inheritsWorkspaceVersion(pkg: Table): boolean {
  const version = pkg.version;
  return isTable(version) && version.workspace === true;
}

function toolchainChannel(files: ProjectFiles) {
  const toolchain = files.rustToolchain;
  if (!toolchain) return null;
  if (toolchain.file.endsWith(".toml") || toolchain.text.includes("[toolchain]")) {
    const parsed = parseToml(toolchain.file, toolchain.text);
    return {
      file: toolchain.file,
      channel: stringAt(table(parsed, "toolchain"), "channel") ?? null,
    };
  }
  return { file: toolchain.file, channel: toolchain.text.trim() || null };
}

/** Lock entries of workspace packages (no `source`), by name. */
export function localLockEntries(lockText: string): Map<string, string> {
  const lock = parseToml("Cargo.lock", lockText);
  const entries = Array.isArray(lock.package) ? lock.package : [];
  const local = new Map<string, string>();
  for (const entry of entries) {
    if (isTable(entry) && entry.source === undefined && typeof entry.name === "string") {
      local.set(entry.name, String(entry.version));
    }
  }
  return local;
}

export interface ManifestOptions {
  /** `--cargo-package`: the package to release, in a workspace. */
  cargoPackage?: string | null;
}

/**
 * Reads what the release needs from the manifests, refusing projects it cannot release with a
 * message that says what to change.
 */
export function readManifest(files: ProjectFiles, options: ManifestOptions = {}): ProjectManifest {
  const root = parseToml("Cargo.toml", files.cargoToml);
  const pyproject = maturinPyproject(files.pyproject);
  const located = selectPackage(root, files, {
    requested: options.cargoPackage ?? null,
    pyproject,
  });
  const packageName = located.name;

  const workspaceVersion = stringAt(table(table(root, "workspace") ?? {}, "package"), "version");
  const inherits = inheritsWorkspaceVersion(located.pkg);
  const version = inherits ? workspaceVersion : stringAt(located.pkg, "version");
  if (!version) {
    throw new PlanError(
      inherits
        ? `${located.manifestFile} uses version.workspace = true but Cargo.toml has no [workspace.package] version`
        : `${located.manifestFile} has no version: set [package] version (any value; the tag replaces it)`,
    );
  }

  if (located.bins.length === 0) {
    throw new PlanError(
      `package "${packageName}" has no binary target: add a [[bin]] or src/main.rs (this pipeline releases a CLI)`,
    );
  }

  if (files.cargoLock === null) {
    throw new PlanError(
      "Cargo.lock is missing: commit it (the release guide requires it, and every build runs with --locked)",
    );
  }
  const lockEntries = localLockEntries(files.cargoLock);
  const locked = lockEntries.get(packageName);
  if (locked === undefined) {
    throw new PlanError(
      `Cargo.lock has no entry for "${packageName}": run \`cargo generate-lockfile\` and commit Cargo.lock`,
    );
  }
  if (locked !== version) {
    throw new PlanError(
      `Cargo.lock records ${packageName} ${locked} but ${located.manifestFile} says ${version}: ` +
        "the lock file is stale; run `cargo update --workspace` and commit Cargo.lock",
    );
  }

  const lib = table(located.manifest, "lib");
  const inheritingPackages = inherits
    ? projectPackages(root, files).flatMap((p) => (inheritsWorkspaceVersion(p.pkg) ? [p.name] : []))
    : [];

  return {
    packageName,
    packageDir: located.dir,
    version,
    versionSource: inherits ? "workspace" : "package",
    versionedPackages: [...new Set([packageName, ...inheritingPackages])].filter(
      (name) => lockEntries.get(name) === version,
    ),
    bins: located.bins,
    primaryBin: primaryBinary(packageName, located.bins),
    libName: stringAt(lib, "name") ?? (lib ? packageName.replaceAll("-", "_") : null),
    crateTypes: stringList(lib?.["crate-type"]),
    rustVersion: inherited(located.pkg, root, "rust-version"),
    description: inherited(located.pkg, root, "description"),
    license: inherited(located.pkg, root, "license"),
    repositoryUrl: inherited(located.pkg, root, "repository"),
    python: pyproject
      ? pythonProject(pyproject, located, files.cargoLock, files.pythonPackages)
      : null,
    toolchain: toolchainChannel(files),
    docs: files.docs,
    releaseMetadata: readReleaseMetadata(
      {
        file: located.manifestFile,
        text: located.dir === "" ? files.cargoToml : (files.members[located.dir] ?? ""),
        manifest: located.manifest,
      },
      { file: "Cargo.toml", text: files.cargoToml, manifest: root },
    ),
  };
}
