import { posix } from "node:path";
import { PlanError } from "./errors.js";
import type { ProjectFiles } from "./project-files.js";
import type { Pyproject } from "./pyproject.js";
import { isTable, parseToml, stringAt, type Table, table } from "./toml.js";

/** One Cargo package of the project: the root package or a workspace member. */
export interface CargoPackage {
  name: string;
  /** Its directory relative to the source root ("" for the root). */
  dir: string;
  manifestFile: string;
  manifest: Table;
  pkg: Table;
  /** Its binary targets, the one named like the package first. */
  bins: string[];
}

/** How the package to release is chosen, besides the manifests themselves. */
export interface PackageChoice {
  /** `--cargo-package`: the package the user named. */
  requested: string | null;
  /**
   * The maturin pyproject.toml, when the project has one: its manifest (`manifest-path`
   * resolved from its directory, else the Cargo.toml next to it) names the package.
   */
  pyproject: Pyproject | null;
}

/**
 * The package's binaries as Cargo sees them: the `[[bin]]` targets, plus (unless `autobins =
 * false`) those discovered from `src/main.rs` and `src/bin/`, except files a `[[bin]]` already
 * builds under another name (`[[bin]] name = "twatch" path = "src/main.rs"`).
 */
function binaryNames(
  dir: string,
  manifest: Table,
  pkg: Table,
  packageName: string,
  files: ProjectFiles,
): string[] {
  const targets = Array.isArray(manifest.bin) ? manifest.bin.filter(isTable) : [];
  const explicit = targets.flatMap((b) => (typeof b.name === "string" ? [b.name] : []));
  const explicitPaths = new Set(
    targets.flatMap((b) => (typeof b.path === "string" ? [posix.normalize(b.path)] : [])),
  );
  if (pkg.autobins === false) return explicit;
  const prefix = dir === "" ? "" : `${dir}/`;
  const discovered = files.sourceFiles.flatMap((file) => {
    if (!file.startsWith(prefix)) return [];
    const path = file.slice(prefix.length);
    if (explicitPaths.has(path)) return [];
    if (path === "src/main.rs") return [packageName];
    const bin = /^src\/bin\/([^/]+?)(?:\.rs|\/main\.rs)$/.exec(path);
    return bin?.[1] ? [bin[1]] : [];
  });
  // The package's own binary first: it names the archives.
  return [...new Set([...explicit, ...discovered])].sort((a, b) =>
    a === packageName ? -1 : b === packageName ? 1 : a.localeCompare(b),
  );
}

/** The package a manifest declares, or null for a manifest without [package] (a virtual root). */
function packageAt(
  dir: string,
  manifestFile: string,
  manifest: Table,
  files: ProjectFiles,
): CargoPackage | null {
  const pkg = table(manifest, "package");
  if (!pkg) return null;
  const name = stringAt(pkg, "name");
  if (!name) throw new PlanError(`${manifestFile} has no [package] name`);
  return {
    name,
    dir,
    manifestFile,
    manifest,
    pkg,
    bins: binaryNames(dir, manifest, pkg, name, files),
  };
}

/** The root package (when Cargo.toml has one) and every workspace member, in directory order. */
export function projectPackages(root: Table, files: ProjectFiles): CargoPackage[] {
  const members = Object.entries(files.members).map(([dir, text]) => {
    const manifestFile = `${dir}/Cargo.toml`;
    return packageAt(dir, manifestFile, parseToml(manifestFile, text), files);
  });
  return [packageAt("", "Cargo.toml", root, files), ...members].filter(
    (p): p is CargoPackage => p !== null,
  );
}

function namesWithBinaries(packages: readonly CargoPackage[]): string {
  const names = packages.filter((p) => p.bins.length > 0).map((p) => p.name);
  return names.length > 0 ? names.join(", ") : "none";
}

function requestedPackage(packages: readonly CargoPackage[], name: string): CargoPackage {
  const found = packages.find((p) => p.name === name);
  if (!found) {
    throw new PlanError(
      `--cargo-package ${name}: the project has no package of that name; its packages are ` +
        `${packages.map((p) => p.name).join(", ")} (with binaries: ${namesWithBinaries(packages)})`,
    );
  }
  if (found.bins.length === 0) {
    throw new PlanError(
      `--cargo-package ${name}: that package has no binary target (this pipeline releases a ` +
        `CLI); packages with binaries: ${namesWithBinaries(packages)}`,
    );
  }
  return found;
}

function maturinPackage(
  packages: readonly CargoPackage[],
  files: ProjectFiles,
  pyproject: Pyproject,
) {
  const path = pyproject.maturin.manifestFile;
  const found = packages.find((p) => p.manifestFile === path);
  if (found) return found;
  if (path === "Cargo.toml") {
    throw new PlanError(
      `${pyproject.file} builds with maturin, but Cargo.toml is a virtual workspace: set ` +
        '[tool.maturin] manifest-path = "crates/<name>/Cargo.toml" to the package the wheels are built from',
    );
  }
  const written = pyproject.maturin.written.manifestPath;
  const given =
    written === null
      ? `${pyproject.file} has no [tool.maturin] manifest-path, so maturin builds ${path}`
      : `${pyproject.file} sets [tool.maturin] manifest-path = "${written}"` +
        (written === path ? "" : ` (${path} in the source)`);
  throw new PlanError(
    files.maturinManifest?.exists === false
      ? `${given}, which does not exist`
      : `${given}, which is not a member of the workspace in Cargo.toml: add its directory to ` +
          "[workspace] members",
  );
}

/** In a virtual workspace without other guidance: the one member with binaries. */
function onlyPackageWithBinaries(packages: readonly CargoPackage[]): CargoPackage {
  const candidates = packages.filter((p) => p.bins.length > 0);
  const [only, ...others] = candidates;
  if (only && others.length === 0) return only;
  throw new PlanError(
    candidates.length === 0
      ? "Cargo.toml is a virtual workspace and none of its members has a binary target: this pipeline releases a CLI"
      : `Cargo.toml is a virtual workspace with several packages that have binaries: ` +
          `${namesWithBinaries(packages)}. Choose the one to release with --cargo-package <name>`,
  );
}

/**
 * The package to release: the one `--cargo-package` names, else the one pyproject.toml's
 * maturin builds, else the root package, else the only workspace member with binaries.
 * A release holds one package's archives and wheels, so naming another package than the one
 * pyproject.toml's maturin builds is refused.
 */
export function selectPackage(
  root: Table,
  files: ProjectFiles,
  choice: PackageChoice,
): CargoPackage {
  if (!table(root, "package") && !table(root, "workspace")) {
    throw new PlanError("Cargo.toml has neither a [package] nor a [workspace] table");
  }
  const packages = projectPackages(root, files);
  const python =
    choice.pyproject === null ? null : maturinPackage(packages, files, choice.pyproject);
  const requested = choice.requested === null ? null : requestedPackage(packages, choice.requested);
  if (requested && python && requested !== python) {
    throw new PlanError(
      `--cargo-package ${requested.name}, but ${choice.pyproject?.file}'s maturin builds the wheels from ` +
        `${python.name} (${python.manifestFile}): a release holds one package's binaries and ` +
        `wheels; drop --cargo-package to release ${python.name}`,
    );
  }
  return (
    requested ?? python ?? packages.find((p) => p.dir === "") ?? onlyPackageWithBinaries(packages)
  );
}
