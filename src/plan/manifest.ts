import { PlanError } from "./errors.js";
import { type Pyo3Facts, pyo3Facts } from "./pyo3-windows.js";
import { isTable, parseToml, stringAt, stringList, type Table, table } from "./toml.js";

export { parseToml } from "./toml.js";

/** The manifest texts of a project, as read from its source directory. */
export interface ProjectFiles {
  /** The root `Cargo.toml`. */
  cargoToml: string;
  /** The root `Cargo.lock`, or null when the project has none. */
  cargoLock: string | null;
  pyprojectToml: string | null;
  /** `rust-toolchain.toml` or the legacy `rust-toolchain`, when present. */
  rustToolchain: { file: string; text: string } | null;
  /** Member manifests of the workspace, keyed by member directory (e.g. `crates/cli`). */
  members: Record<string, string>;
  /**
   * `.rs` files under `src/` of the root package and of each member, relative to the source root
   * (`src/main.rs`, `crates/cli/src/bin/x.rs`): Cargo discovers binaries from them.
   */
  sourceFiles: string[];
}

export interface PythonProject {
  /** The `[project] name` (or the Cargo package name when pyproject.toml names none). */
  name: string;
  /** The name as wheel and sdist file names spell it (PEP 427/625). */
  distName: string;
  /** A static `[project] version`, when the project does not use `dynamic = ["version"]`. */
  staticVersion: string | null;
  features: string[];
  moduleName: string | null;
  /** `[project.scripts]` names, in file order (the first is smoke-tested). */
  scripts: string[];
  /** The abi3 floor as a wheel python tag (`cp38`); one wheel per platform needs abi3. */
  abi3: string | null;
  /** The locked pyo3, when the extension uses it (what its Windows build needs). */
  pyo3: Pyo3Facts | null;
}

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
  libName: string | null;
  crateTypes: string[];
  rustVersion: string | null;
  /** `[package]` description, license (SPDX) and repository URL, for image labels. */
  description: string | null;
  license: string | null;
  repositoryUrl: string | null;
  python: PythonProject | null;
  toolchain: { file: string; channel: string | null } | null;
}

/** PEP 427 / PEP 625: runs of `-_.` become `_`, lowercase. */
export function distributionName(projectName: string): string {
  return projectName.replace(/[-_.]+/g, "_").toLowerCase();
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

interface LocatedPackage {
  dir: string;
  manifestFile: string;
  manifest: Table;
  pkg: Table;
}

/**
 * The package to release: the root package, or in a virtual workspace the one member that has
 * a binary target (the release is of a CLI).
 */
function locatePackage(root: Table, files: ProjectFiles): LocatedPackage {
  const rootPackage = table(root, "package");
  if (rootPackage) return { dir: "", manifestFile: "Cargo.toml", manifest: root, pkg: rootPackage };
  if (!table(root, "workspace")) {
    throw new PlanError("Cargo.toml has neither a [package] nor a [workspace] table");
  }
  const candidates = Object.entries(files.members).flatMap(([dir, text]) => {
    const manifestFile = `${dir}/Cargo.toml`;
    const manifest = parseToml(manifestFile, text);
    const pkg = table(manifest, "package");
    const name = stringAt(pkg, "name");
    const located = { dir, manifestFile, manifest, pkg: pkg ?? {} };
    return pkg && name && binaryNames(located, name, files).length > 0 ? [located] : [];
  });
  const [only, ...others] = candidates;
  if (!only || others.length > 0) {
    const names = candidates.map((c) => c.dir).join(", ") || "none";
    throw new PlanError(
      `Cargo.toml is a virtual workspace and exactly one member with a binary is needed to ` +
        `release; found: ${names}. Point --source at the package to release.`,
    );
  }
  return only;
}

function binaryNames(located: LocatedPackage, packageName: string, files: ProjectFiles): string[] {
  const explicit = Array.isArray(located.manifest.bin)
    ? located.manifest.bin.flatMap((b) =>
        isTable(b) && typeof b.name === "string" ? [b.name] : [],
      )
    : [];
  if (located.pkg.autobins === false) return explicit;
  const prefix = located.dir === "" ? "" : `${located.dir}/`;
  const discovered = files.sourceFiles.flatMap((file) => {
    if (!file.startsWith(prefix)) return [];
    const path = file.slice(prefix.length);
    if (path === "src/main.rs") return [packageName];
    const bin = /^src\/bin\/([^/]+?)(?:\.rs|\/main\.rs)$/.exec(path);
    return bin?.[1] ? [bin[1]] : [];
  });
  // The package's own binary first: it names the archives.
  return [...new Set([...explicit, ...discovered])].sort((a, b) =>
    a === packageName ? -1 : b === packageName ? 1 : a.localeCompare(b),
  );
}

/** `pyo3/abi3-py38` in a feature, or `abi3-py38` in the pyo3 dependency's features, gives cp38. */
function abi3Tag(manifest: Table): string | null {
  const features = Object.values(table(manifest, "features") ?? {}).flatMap(stringList);
  const pyo3 = table(manifest, "dependencies")?.pyo3;
  const dependencyFeatures = isTable(pyo3) ? stringList(pyo3.features) : [];
  const candidates = [
    ...features.flatMap((f) => (f.startsWith("pyo3/") ? [f.slice(5)] : [])),
    ...dependencyFeatures,
  ];
  const floors = candidates.flatMap((f) => {
    const m = /^abi3-py(\d)(\d+)$/.exec(f);
    return m ? [`cp${m[1]}${m[2]}`] : [];
  });
  return floors.sort()[0] ?? null;
}

function pythonProject(
  files: ProjectFiles,
  packageName: string,
  manifest: Table,
): PythonProject | null {
  if (files.pyprojectToml === null) return null;
  const pyproject = parseToml("pyproject.toml", files.pyprojectToml);
  const build = table(pyproject, "build-system");
  if (stringAt(build, "build-backend") !== "maturin") return null;
  const project = table(pyproject, "project");
  const maturin = table(table(pyproject, "tool") ?? {}, "maturin");
  const name = stringAt(project, "name") ?? packageName;
  const dynamic = stringList(project?.dynamic);
  const features = stringList(maturin?.features);
  return {
    name,
    distName: distributionName(name),
    staticVersion: dynamic.includes("version") ? null : (stringAt(project, "version") ?? null),
    features,
    moduleName: stringAt(maturin, "module-name") ?? null,
    scripts: Object.keys(table(project ?? {}, "scripts") ?? {}),
    abi3: abi3Tag(manifest),
    pyo3: files.cargoLock === null ? null : pyo3Facts(manifest, files.cargoLock, features),
  };
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

/**
 * Reads what the release needs from the manifests, refusing projects it cannot release with a
 * message that says what to change.
 */
export function readManifest(files: ProjectFiles): ProjectManifest {
  const root = parseToml("Cargo.toml", files.cargoToml);
  const located = locatePackage(root, files);
  const packageName = stringAt(located.pkg, "name");
  if (!packageName) throw new PlanError(`${located.manifestFile} has no [package] name`);

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

  const bins = binaryNames(located, packageName, files);
  if (bins.length === 0) {
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
  const inheritingMembers = inherits
    ? Object.entries(files.members).flatMap(([dir, text]) => {
        const pkg = table(parseToml(`${dir}/Cargo.toml`, text), "package");
        const name = stringAt(pkg, "name");
        return pkg && name && inheritsWorkspaceVersion(pkg) ? [name] : [];
      })
    : [];

  return {
    packageName,
    packageDir: located.dir,
    version,
    versionSource: inherits ? "workspace" : "package",
    versionedPackages: [...new Set([packageName, ...inheritingMembers])].filter(
      (name) => lockEntries.get(name) === version,
    ),
    bins,
    libName: stringAt(lib, "name") ?? (lib ? packageName.replaceAll("-", "_") : null),
    crateTypes: stringList(lib?.["crate-type"]),
    rustVersion: inherited(located.pkg, root, "rust-version"),
    description: inherited(located.pkg, root, "description"),
    license: inherited(located.pkg, root, "license"),
    repositoryUrl: inherited(located.pkg, root, "repository"),
    python: pythonProject(files, packageName, located.manifest),
    toolchain: toolchainChannel(files),
  };
}
