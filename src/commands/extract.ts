import type { ArchiveFormat } from "./archive.js";
import { PYTHON } from "./python.js";

export interface ExtractSpec {
  /** The archive's path in the container. */
  archive: string;
  format: ArchiveFormat;
  /** Members to copy out, by their name in the archive, to paths in the container. */
  members: { name: string; output: string }[];
}

/**
 * Copies named members out of a release archive, standard library only (it runs in the plain
 * python image). Each output's directory is created; a member that is missing, or is not a
 * regular file, fails the step with the archive and the member named.
 */
const EXTRACT_SCRIPT = `
import json
import os
import shutil
import sys
import tarfile
import zipfile


def open_member(archive, spec, name):
    if spec["format"] == "zip":
        info = archive.getinfo(name)
        if info.is_dir():
            raise KeyError(name)
        return archive.open(info)
    member = archive.getmember(name)
    if not member.isfile():
        raise KeyError(name)
    return archive.extractfile(member)


def main():
    spec = json.loads(sys.argv[1])
    opener = zipfile.ZipFile if spec["format"] == "zip" else tarfile.open
    try:
        with opener(spec["archive"]) as archive:
            for member in spec["members"]:
                try:
                    source = open_member(archive, spec, member["name"])
                except KeyError:
                    sys.exit(f"{os.path.basename(spec['archive'])} has no file {member['name']}")
                os.makedirs(os.path.dirname(member["output"]) or ".", exist_ok=True)
                with source, open(member["output"], "wb") as out:
                    shutil.copyfileobj(source, out)
                print(f"extracted {member['name']} -> {member['output']}")
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as error:
        sys.exit(f"cannot read {spec['archive']}: {error}")


main()
`;

/** The argv that copies members out of an archive. */
export function extractCommand(spec: ExtractSpec): string[] {
  if (spec.members.length === 0) throw new Error(`${spec.archive}: nothing to extract`);
  return [PYTHON, "-c", EXTRACT_SCRIPT, JSON.stringify(spec)];
}
