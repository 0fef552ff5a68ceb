"""Writes a release archive (.tar.gz or .zip) exactly as a JSON spec describes it.

Usage: archive.py '<spec>' with {"format", "output", "entries": [{"source", "name", "mode"}],
"mtime"}. Only the spec decides the bytes: sorted entries, one mtime, root ownership, no names or
times in the gzip header. zlib's output is stable for a given image, which the pinned image
guarantees. Standard library only: it runs in a plain python image.
"""

import gzip
import json
import os
import stat
import sys
import tarfile
import time
import zipfile

# Zip stores DOS times, which cannot express anything before 1980; we write UTC.
ZIP_EARLIEST = (1980, 1, 1, 0, 0, 0)


def write_tar_gz(spec, entries):
    with open(spec["output"], "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for entry in entries:
                    info = tarfile.TarInfo(entry["name"])
                    info.size = os.path.getsize(entry["source"])
                    info.mode = entry["mode"]
                    info.mtime = spec["mtime"]
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with open(entry["source"], "rb") as data:
                        tar.addfile(info, data)


def write_zip(spec, entries):
    date_time = max(ZIP_EARLIEST, tuple(time.gmtime(spec["mtime"])[:6]))
    with zipfile.ZipFile(spec["output"], "w") as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry["name"], date_time=date_time)
            # Unix, so unzip applies the permission bits kept in external_attr.
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | entry["mode"]) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(entry["source"], "rb") as data:
                archive.writestr(info, data.read(), compresslevel=9)


def main():
    spec = json.loads(sys.argv[1])
    entries = sorted(spec["entries"], key=lambda entry: entry["name"])
    write = {"tar.gz": write_tar_gz, "zip": write_zip}[spec["format"]]
    try:
        # No image has the output directory: it is the step's own.
        os.makedirs(os.path.dirname(spec["output"]) or ".", exist_ok=True)
        write(spec, entries)
    except OSError as error:
        sys.exit(f"cannot write {spec['output']}: {error}")
    for entry in entries:
        print(f"{entry['mode']:04o} {entry['name']}")
    print(f"wrote {spec['output']}")


if __name__ == "__main__":
    main()
