import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Directory, dag } from "@dagger.io/dagger";
import {
  type FileFacts,
  MANIFEST_FILE,
  type ReleaseManifest,
  renderReleaseManifest,
} from "../plan/release-manifest.js";
import { downloadReleaseAssets, type GithubTarget } from "../publishers/github/index.js";

/**
 * A release's files in two places at once: copies in this runtime's file system (what GitHub
 * uploads and hashes read) and the same bytes in the engine (what containers use).
 */
export interface ReleaseFiles {
  /** Local path by file name. */
  paths: Record<string, string>;
  facts: FileFacts[];
  directory: Directory;
}

async function factsOf(paths: Record<string, string>): Promise<FileFacts[]> {
  return Promise.all(
    Object.entries(paths).map(async ([name, path]) => {
      const bytes = await readFile(path);
      return { name, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
    }),
  );
}

/**
 * Brings built files out of the engine into `dir` (raw bytes: never through File.contents) and
 * hashes them. `names` are the files the release is made of, in the given directories.
 */
export async function collectBuilt(
  directories: readonly Directory[],
  names: readonly string[],
  dir: string,
): Promise<ReleaseFiles> {
  for (const directory of directories) await directory.export(dir);
  const paths = Object.fromEntries(names.map((name) => [name, join(dir, name)]));
  const directory = directories.reduce(
    (all, part) => all.withDirectory("/", part),
    dag.directory(),
  );
  return { paths, facts: await factsOf(paths), directory };
}

/** Writes the manifest next to the files, as uploaded (its bytes are what GitHub compares). */
export async function writeManifest(manifest: ReleaseManifest, dir: string): Promise<string> {
  const path = join(dir, MANIFEST_FILE);
  await writeFile(path, renderReleaseManifest(manifest));
  return path;
}

/**
 * Downloads the files an earlier run staged and checks each against the staged manifest. A
 * file whose size or sha256 differs stops the release before anything is published: the
 * staged release is the record of what this release is.
 */
export async function downloadStaged(
  github: GithubTarget,
  manifest: ReleaseManifest,
  dir: string,
): Promise<ReleaseFiles> {
  const names = manifest.files.map((f) => f.name);
  const paths = await downloadReleaseAssets(github, names, dir);
  const facts = await factsOf(paths);
  const wrong = manifest.files.flatMap((staged) => {
    const got = facts.find((f) => f.name === staged.name);
    return got && got.sha256 === staged.sha256 && got.size === staged.size
      ? []
      : [
          `${staged.name}: the release holds sha256:${got?.sha256} (${got?.size} bytes), ` +
            `the manifest records sha256:${staged.sha256} (${staged.size} bytes)`,
        ];
  });
  if (wrong.length > 0) {
    throw new Error(
      `The files staged on release ${manifest.tag} do not match its ${MANIFEST_FILE}:\n` +
        `${wrong.map((w) => `  ${w}`).join("\n")}\nNothing was published. Restore the staged ` +
        "files, or re-run with --rebuild to build, check and stage the release again.",
    );
  }
  return {
    paths,
    facts,
    // This runtime's file system, as the engine sees it from inside the module.
    directory: dag.host().directory(dir, { include: names }),
  };
}
