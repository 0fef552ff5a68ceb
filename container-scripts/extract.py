"""Copies named members out of a release archive.

Usage: extract.py '{"archive", "format", "members": [{"name", "output"}]}'. Each output's
directory is created; a member that is missing, or is not a regular file, fails the step with the
archive and the member named. Standard library only: it runs in a plain python image.
"""

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


if __name__ == "__main__":
    main()
