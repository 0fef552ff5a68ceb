"""Writes a `sha256sum -c` compatible file: `<hex>  <name>` per file, sorted by name.

Usage: checksums.py '{"files": [{"path", "name"}], "output"}'. The file is also printed, so the
log shows what was published. Standard library only: it runs in a plain python image.
"""

import hashlib
import json
import os
import sys


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    spec = json.loads(sys.argv[1])
    files = sorted(spec["files"], key=lambda file: file["name"])
    try:
        lines = [f"{sha256_of(file['path'])}  {file['name']}\n" for file in files]
        # No image has the output directory: it is the step's own.
        os.makedirs(os.path.dirname(spec["output"]) or ".", exist_ok=True)
        with open(spec["output"], "w", encoding="utf-8", newline="\n") as out:
            out.writelines(lines)
    except OSError as error:
        sys.exit(f"cannot write {spec['output']}: {error}")
    sys.stdout.writelines(lines)


if __name__ == "__main__":
    main()
