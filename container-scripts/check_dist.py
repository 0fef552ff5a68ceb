"""Verifies built wheels and the sdist before anything is published.

Usage: check_dist.py '{"version", "project", "wheels": [...], "sdist": {"path"} | null}'. Checks
file names (wheel spec, PEP 625), the tags inside the wheel, and the name and version in the
metadata. Every problem is reported with the file it is in; bad input (a corrupt archive, a
missing METADATA) is a problem, never a traceback. Standard library only.
"""

import email.parser
import json
import os
import re
import sys
import tarfile
import zipfile
import zlib

UNREADABLE_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)
UNREADABLE_TAR = (tarfile.TarError, OSError, EOFError, zlib.error)


class Problem(Exception):
    pass


def dist_name(name):
    # How wheel and sdist file names spell a project name (wheel spec, PEP 625).
    return re.sub(r"[-_.]+", "_", name).lower()


def canonical_name(name):
    # PEP 503: the Name field may spell the project differently and still be it.
    return re.sub(r"[-_.]+", "-", name).lower()


def headers_of(data, member):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(f"{member} is not UTF-8") from None
    return email.parser.HeaderParser().parsestr(text)


def only_member(names, pattern, what):
    found = [name for name in names if re.fullmatch(pattern, name)]
    if len(found) != 1:
        raise Problem(f"has {len(found)} {what}, expected exactly one")
    return found[0]


def metadata_problems(headers, member, spec):
    problems = []
    version = headers.get("Version")
    if version != spec["version"]:
        problems.append(f"{member} has Version {version}, expected {spec['version']}")
    name = headers.get("Name")
    if name is None or canonical_name(name) != canonical_name(spec["project"]):
        problems.append(f"{member} has Name {name}, expected {spec['project']}")
    return problems


def expect(problems, what, found, expected):
    if found != expected:
        problems.append(f"{what} {found}, expected {expected}")


def read_wheel(path):
    """The wheel's METADATA and WHEEL members, as (name, headers) pairs, and every member name."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            metadata = only_member(names, r"[^/]+\.dist-info/METADATA", "*.dist-info/METADATA")
            wheel_file = metadata.split("/")[0] + "/WHEEL"
            if wheel_file not in names:
                raise Problem(f"has no {wheel_file}")
            return (
                (metadata, headers_of(archive.read(metadata), metadata)),
                (wheel_file, headers_of(archive.read(wheel_file), wheel_file)),
                names,
            )
    except UNREADABLE_ZIP as error:
        raise Problem(f"cannot be read as a zip archive: {error}") from None


def read_sdist(path):
    """The sdist's PKG-INFO member, as a (name, headers) pair."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = {member.name: member for member in archive.getmembers()}
            pkg_info = only_member(members, r"[^/]+/PKG-INFO", "*/PKG-INFO")
            data = archive.extractfile(members[pkg_info])
            if data is None:
                raise Problem(f"{pkg_info} is not a regular file")
            return pkg_info, headers_of(data.read(), pkg_info)
    except UNREADABLE_TAR as error:
        raise Problem(f"cannot be read as a .tar.gz archive: {error}") from None


def check_wheel(wheel, spec):
    file_name = os.path.basename(wheel["path"])
    parts = file_name[: -len(".whl")].split("-") if file_name.endswith(".whl") else []
    if len(parts) != 5:
        raise Problem("is not named {dist}-{version}-{python}-{abi}-{platform}.whl")
    dist, version, python, abi, platform = parts
    problems = []
    expect(problems, "distribution name", dist, dist_name(spec["project"]))
    expect(problems, "version", version, spec["version"])
    expect(problems, "python tag", python, wheel["pythonTag"])
    expect(problems, "abi tag", abi, wheel["abiTag"])
    # A compressed tag set is a set: maturin may order it differently from the table.
    if set(platform.split(".")) != set(wheel["platformTag"].split(".")):
        problems.append(f"platform tag {platform}, expected {wheel['platformTag']}")
    named = sorted(
        f"{p}-{a}-{t}"
        for p in python.split(".")
        for a in abi.split(".")
        for t in platform.split(".")
    )
    stem = f"{dist_name(spec['project'])}-{spec['version']}"
    try:
        (metadata, headers), (wheel_file, wheel_headers), names = read_wheel(wheel["path"])
    except Problem as problem:
        problems.append(str(problem))
    else:
        expect(problems, "metadata directory", metadata.split("/")[0], f"{stem}.dist-info")
        problems += metadata_problems(headers, metadata, spec)
        listed = wheel_headers.get_all("Tag") or []
        if sorted(listed) != named:
            problems.append(
                f"{wheel_file} lists tags {', '.join(listed) or 'none'}, "
                f"but the file name says {', '.join(named)}"
            )
        # A bin wheel is its executables: installers put its scripts on the PATH.
        for executable in wheel["executables"]:
            script = f"{stem}.data/scripts/{executable}"
            if script not in names:
                problems.append(f"has no {script}")
    if problems:
        raise Problem("; ".join(problems))
    return f"{spec['project']} {version}, {', '.join(named)}"


def check_sdist(sdist, spec):
    stem = f"{dist_name(spec['project'])}-{spec['version']}"
    problems = []
    expect(problems, "file name", os.path.basename(sdist["path"]), f"{stem}.tar.gz")
    try:
        pkg_info, headers = read_sdist(sdist["path"])
    except Problem as problem:
        problems.append(str(problem))
    else:
        expect(problems, "top directory", pkg_info.split("/")[0], stem)
        problems += metadata_problems(headers, pkg_info, spec)
    if problems:
        raise Problem("; ".join(problems))
    return f"{spec['project']} {spec['version']}, sdist"


def main():
    spec = json.loads(sys.argv[1])
    checks = [(wheel["path"], check_wheel, wheel) for wheel in spec["wheels"]]
    if spec["sdist"] is not None:
        checks.append((spec["sdist"]["path"], check_sdist, spec["sdist"]))
    failures = []
    for path, check, expected in checks:
        file_name = os.path.basename(path)
        try:
            print(f"ok {file_name}: {check(expected, spec)}")
        except Problem as problem:
            failures.append(f"{file_name}: {problem}")
    if failures:
        sys.exit("distribution check failed:\n" + "\n".join(failures))


if __name__ == "__main__":
    main()
