import { isDeepStrictEqual } from "node:util";
import { PlanError } from "./errors.js";
import type { ProjectManifest } from "./manifest.js";
import { projectPackages } from "./packages.js";
import type { ProjectFiles } from "./project-files.js";
import { type RequirementChange, rewriteRequirements } from "./requirements.js";
import { parseToml } from "./toml.js";
import type { ReleaseVersion } from "./version.js";

/** New texts of the files the version lives in, keyed by path relative to the source root. */
export type PatchedFiles = Record<string, string>;

/** The patched files, and the requirements on patched packages that were rewritten. */
export interface VersionPatch {
  files: PatchedFiles;
  requirements: RequirementChange[];
}

// `[^\n]` rather than `.` so a CRLF file keeps its `\r`.
const VERSION_LINE = /^(\s*version\s*=\s*)("[^"\n]*"|'[^'\n]*')([^\n]*)$/;

function headerOf(line: string): string | null {
  const match = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#[^\n]*)?$/.exec(line);
  return match?.[1] ?? null;
}

/**
 * Replaces the `version = "..."` line directly inside `[tableName]`, leaving every other byte as
 * it was (comments, ordering, quoting style and line endings are the user's).
 */
function replaceTableVersion(file: string, text: string, tableName: string, to: string): string {
  const lines = text.split("\n");
  let inTable = false;
  for (const [index, line] of lines.entries()) {
    const header = headerOf(line);
    if (header !== null) {
      inTable = header === tableName && !line.trimStart().startsWith("[[");
      continue;
    }
    const match = inTable ? VERSION_LINE.exec(line) : null;
    if (match) {
      const quote = match[2]?.[0] ?? '"';
      lines[index] = `${match[1]}${quote}${to}${quote}${match[3]}`;
      return lines.join("\n");
    }
  }
  throw new PlanError(
    `could not find a \`version = "..."\` line in [${tableName}] of ${file}: write the version on its own line there`,
  );
}

/**
 * Replaces the version of the lock entries of the named workspace packages (no `source`), and
 * of the dependency items that name them with their version: cargo writes `"foo-core 0.4.14"`
 * instead of `"foo-core"` when the lock holds two packages of that name.
 */
function replaceLockVersions(text: string, names: Set<string>, from: string, to: string): string {
  const blocks = text.split(/(?=^\[\[package\]\]\s*$)/m);
  return blocks
    .map((block) => {
      const name = /^name\s*=\s*"([^"]*)"/m.exec(block)?.[1];
      const isLocal = !/^source\s*=/m.test(block);
      const entry =
        name === undefined || !names.has(name) || !isLocal
          ? block
          : block.replace(/^(version\s*=\s*)"([^"]*)"/m, (line, prefix: string, version: string) =>
              version === from ? `${prefix}"${to}"` : line,
            );
      return entry.replace(
        /^(\s*)"([^" ]+) ([^" ]+)"(,?\r?)$/gm,
        (line, lead: string, item: string, version: string, end: string) =>
          names.has(item) && version === from ? `${lead}"${item} ${to}"${end}` : line,
      );
    })
    .join("");
}

function setPath(value: unknown, path: string[], to: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return to;
  const record = { ...(value as Record<string, unknown>) };
  record[head] = setPath(record[head], rest, to);
  return record;
}

function setLockVersions(lock: unknown, names: Set<string>, from: string, to: string): unknown {
  const record = lock as { package?: Record<string, unknown>[] };
  const item = (dependency: unknown) => {
    const [name, version, ...rest] = String(dependency).split(" ");
    return name && names.has(name) && version === from && rest.length === 0
      ? `${name} ${to}`
      : dependency;
  };
  return {
    ...record,
    package: record.package?.map((entry) => {
      const patched =
        typeof entry.name === "string" &&
        names.has(entry.name) &&
        entry.source === undefined &&
        entry.version === from
          ? { ...entry, version: to }
          : entry;
      return Array.isArray(entry.dependencies)
        ? { ...patched, dependencies: entry.dependencies.map(item) }
        : patched;
    }),
  };
}

/**
 * Confirms the patch by parsing both texts: the new one must equal the old one with exactly the
 * intended change, so a mis-edit can never reach cargo.
 */
function confirm(file: string, before: string, after: string, expected: (v: unknown) => unknown) {
  const want = expected(parseToml(file, before));
  const got = parseToml(file, after);
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(want)))) {
    throw new PlanError(
      `patching the version into ${file} changed more than the version; please report this with your ${file}`,
    );
  }
}

/**
 * A static `[project] version` in pyproject.toml becomes the version's PEP 440 spelling (what
 * PyPI and the wheels carry), the same way: one line, every other byte as it was.
 */
function patchPyproject(
  files: ProjectFiles,
  manifest: ProjectManifest,
  pep440: string,
): PatchedFiles {
  const staticVersion = manifest.python?.staticVersion ?? null;
  if (staticVersion === null || files.pyproject === null) return {};
  const { file, text } = files.pyproject;
  const patched = replaceTableVersion(file, text, "project", pep440);
  confirm(file, text, patched, (v) => setPath(v, ["project", "version"], pep440));
  return { [file]: patched };
}

/**
 * Writes the version (Cargo's spelling) into the manifests, into the requirements other
 * manifests have on the packages that carry it, and into their lock entries, so that
 * `cargo build --locked` accepts the patched source; and its PEP 440 spelling into a static
 * pyproject.toml version.
 */
export async function patchVersion(
  files: ProjectFiles,
  manifest: ProjectManifest,
  release: ReleaseVersion,
): Promise<VersionPatch> {
  if (files.cargoLock === null) throw new PlanError("Cargo.lock is missing: commit it");
  const version = release.cargo;
  const patched: PatchedFiles = {};

  if (manifest.versionSource === "workspace") {
    patched["Cargo.toml"] = replaceTableVersion(
      "Cargo.toml",
      files.cargoToml,
      "workspace.package",
      version,
    );
    confirm("Cargo.toml", files.cargoToml, patched["Cargo.toml"], (v) =>
      setPath(v, ["workspace", "package", "version"], version),
    );
  } else {
    const file = manifest.packageDir === "" ? "Cargo.toml" : `${manifest.packageDir}/Cargo.toml`;
    const text = manifest.packageDir === "" ? files.cargoToml : files.members[manifest.packageDir];
    if (text === undefined) throw new PlanError(`${file} was not read`);
    patched[file] = replaceTableVersion(file, text, "package", version);
    confirm(file, text, patched[file], (v) => setPath(v, ["package", "version"], version));
  }

  const names = new Set(manifest.versionedPackages);
  const requirements = await rewriteRequirements(
    manifestTexts(files, patched),
    patchedPackages(files, names),
    version,
  );
  Object.assign(patched, requirements.files);

  patched["Cargo.lock"] = replaceLockVersions(files.cargoLock, names, manifest.version, version);
  confirm("Cargo.lock", files.cargoLock, patched["Cargo.lock"], (v) =>
    setLockVersions(v, names, manifest.version, version),
  );
  return {
    files: { ...patched, ...patchPyproject(files, manifest, release.pep440) },
    requirements: requirements.changes,
  };
}

/** Every manifest of the project (the root's and the members'), as the version patch left it. */
function manifestTexts(files: ProjectFiles, patched: PatchedFiles): Record<string, string> {
  const texts: Record<string, string> = { "Cargo.toml": files.cargoToml };
  for (const [dir, text] of Object.entries(files.members)) texts[`${dir}/Cargo.toml`] = text;
  for (const file of Object.keys(texts)) texts[file] = patched[file] ?? (texts[file] as string);
  return texts;
}

/** The packages whose version changes, with their directories. */
function patchedPackages(files: ProjectFiles, names: ReadonlySet<string>) {
  const root = parseToml("Cargo.toml", files.cargoToml);
  return projectPackages(root, files)
    .filter((p) => names.has(p.name))
    .map((p) => ({ name: p.name, dir: p.dir }));
}
