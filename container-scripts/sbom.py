"""Writes the CycloneDX SBOM of one target's release binaries from the list each binary carries.

Usage: sbom.py '{"output", "target", "package": {"name", "version"}, "binaries": [{"path",
"name"}], "sourceDateEpoch", "generator": {"name", "version"}}'.

`cargo auditable` links the binary's dependency list into it: section `.dep-v0` (ELF and PE;
section `.dep-v0` of segment `__DATA` in Mach-O), zlib-compressed JSON of the packages resolved
for the binary's own target and features, as cargo metadata reported them, each with its source
and whether only the build used it. That list is what scanners read from the binary (cargo audit
bin, trivy, grype, syft); the SBOM says the same thing as a file, so it is exact for the target by
construction. Each binary must carry the list and its root must be the package being released, at
the version being released: otherwise the step fails, naming the binary.

The output depends only on the binaries and the spec: the serial number is a name-based UUID of
the rest of the document, the timestamp the source date, everything sorted, so the same binaries
always give the same bytes. Standard
library only (Python 3.8+): it runs in the plain python image. Reads 32- and 64-bit ELF of either
byte order, 32- and 64-bit Mach-O and PE32/PE32+, so every row of the target table is covered by
the same code.
"""

import hashlib
import json
import os
import struct
import sys
import time
import uuid
import zlib
from urllib.parse import quote

SECTION = b".dep-v0"
LC_SEGMENT, LC_SEGMENT_64 = 0x1, 0x19
# The CycloneDX property cargo-cyclonedx (and so maturin's wheel SBOMs) records the target with.
TARGET_PROPERTY = "cdx:rustc:sbom:target:triple"


class Refused(Exception):
    """What is wrong with a binary, said in the words the error shows."""


def cstring(data, offset, limit):
    end = data.find(b"\0", offset, offset + limit)
    return data[offset : offset + limit if end < 0 else end]


def unpack(layout, data, offset):
    if offset + struct.calcsize(layout) > len(data):
        raise Refused(f"truncated ({len(data)} bytes)")
    return struct.unpack_from(layout, data, offset)


def elf_section(data):
    bits, order = data[4], data[5]
    if bits not in (1, 2) or order not in (1, 2):
        raise Refused("an ELF file of unknown class or byte order")
    e = "<" if order == 1 else ">"
    if bits == 2:
        (shoff,) = unpack(e + "Q", data, 0x28)
        shentsize, shnum, shstrndx = unpack(e + "HHH", data, 0x3A)
        header, field = e + "IIQQQQ", lambda h: (h[0], h[4], h[5])
    else:
        (shoff,) = unpack(e + "I", data, 0x20)
        shentsize, shnum, shstrndx = unpack(e + "HHH", data, 0x2E)
        header, field = e + "IIIIII", lambda h: (h[0], h[4], h[5])
    sections = [field(unpack(header, data, shoff + i * shentsize)) for i in range(shnum)]
    if shstrndx >= len(sections):
        raise Refused("an ELF file without section names")
    names = sections[shstrndx][1]
    for name, offset, size in sections:
        if cstring(data, names + name, 64) == SECTION:
            return data[offset : offset + size]
    return None


def macho_section(data):
    (magic,) = unpack("<I", data, 0)
    wide = magic == 0xFEEDFACF
    ncmds, _ = unpack("<II", data, 16)
    at = 32 if wide else 28
    for _ in range(ncmds):
        cmd, cmdsize = unpack("<II", data, at)
        if cmd in (LC_SEGMENT, LC_SEGMENT_64):
            nsects = unpack("<I", data, at + (64 if wide else 48))[0]
            first, step = (at + 72, 80) if wide else (at + 56, 68)
            for s in range(nsects):
                sect = first + s * step
                if cstring(data, sect, 16) == SECTION:
                    if wide:
                        size, offset = unpack("<QI", data, sect + 40)
                    else:
                        size, offset = unpack("<II", data, sect + 36)
                    return data[offset : offset + size]
        at += cmdsize
    return None


def pe_section(data):
    (pe,) = unpack("<I", data, 0x3C)
    if data[pe : pe + 4] != b"PE\0\0":
        raise Refused("an MZ file that is not PE")
    nsects, optional = unpack("<H", data, pe + 6)[0], unpack("<H", data, pe + 20)[0]
    table = pe + 24 + optional
    for s in range(nsects):
        at = table + s * 40
        if cstring(data, at, 8) == SECTION:
            vsize, _, raw_size, offset = unpack("<IIII", data, at + 8)
            # The raw data is padded to the file alignment; the virtual size is the section's own.
            return data[offset : offset + (min(vsize, raw_size) if vsize else raw_size)]
    return None


def audit_section(data):
    """The compressed `.dep-v0` section of an ELF, Mach-O or PE file, or None."""
    if data[:4] == b"\x7fELF":
        return elf_section(data)
    if data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        return macho_section(data)
    if data[:4] in (b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca"):
        raise Refused("a universal (fat) Mach-O: every target ships its own thin binary")
    if data[:2] == b"MZ":
        return pe_section(data)
    raise Refused("not an ELF, Mach-O or PE file")


def dependency_list(data):
    """The packages cargo-auditable recorded in a binary (its JSON, decompressed)."""
    section = audit_section(data)
    if section is None:
        raise Refused(
            "has no .dep-v0 section: it was not built with cargo auditable (the build's "
            "RUSTC_WORKSPACE_WRAPPER), so scanners cannot read its dependencies"
        )
    try:
        # A linker may pad the section: what follows the zlib stream is ignored.
        listing = json.loads(zlib.decompressobj().decompress(section).decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, ValueError) as error:
        raise Refused(f"has a .dep-v0 section that is not zlib-compressed JSON ({error})") from None
    packages = listing.get("packages") if isinstance(listing, dict) else None
    if not isinstance(packages, list) or not packages:
        raise Refused("has a .dep-v0 section without a package list")
    return packages


def purl(package):
    """The package URL: crates.io's form, cargo-cyclonedx's for local packages, none otherwise."""
    name, version = quote(package["name"], safe=""), quote(package["version"], safe="")
    source = package.get("source", "crates.io")
    if source == "crates.io":
        return f"pkg:cargo/{name}@{version}"
    if source == "local":
        return f"pkg:cargo/{name}@{version}?download_url=file://."
    # A git or alternative-registry package: its location is not recorded, and a bare
    # pkg:cargo purl would claim crates.io.
    return None


def key(package):
    return (package["name"], package["version"], package.get("source", "crates.io"))


def ref(package):
    found = purl(package)
    return found if found else "{}:{}@{}".format(package.get("source"), *key(package)[:2])


def release_root(packages, expected, binary):
    roots = [p for p in packages if p.get("root")]
    if len(roots) != 1:
        raise Refused(f"{binary}: its dependency list has {len(roots)} root packages, not one")
    root = roots[0]
    if (root["name"], root["version"]) != (expected["name"], expected["version"]):
        raise Refused(
            f"{binary} was built from {root['name']} {root['version']}, not the release's "
            f"{expected['name']} {expected['version']}"
        )
    return root


def component(package):
    found = {
        "type": "library",
        "bom-ref": ref(package),
        "name": package["name"],
        "version": package["version"],
        # A build dependency (build script, proc macro) ran during the build; it is not in the file.
        "scope": "excluded" if package.get("kind") == "build" else "required",
    }
    link = purl(package)
    if link:
        found["purl"] = link
    else:
        found["properties"] = [{"name": "cargo:source", "value": str(package.get("source"))}]
    return found


def sbom(spec, binaries):
    """The CycloneDX 1.5 document for `binaries`: [(name, bytes, packages)]."""
    root = None
    packages, edges = {}, {}
    for name, _, listing in binaries:
        root = release_root(listing, spec["package"], name)
        for package in listing:
            merged = packages.setdefault(key(package), dict(package))
            if package.get("kind") != "build":
                merged.pop("kind", None)
            depends = edges.setdefault(ref(package), set())
            for index in package.get("dependencies", []):
                if not 0 <= index < len(listing):
                    raise Refused(f"{name}: its dependency list points past its end")
                depends.add(ref(listing[index]))
    root_ref = ref(root)
    main = {
        "type": "application",
        "bom-ref": root_ref,
        "name": root["name"],
        "version": root["version"],
        "purl": purl(root),
        "components": [
            {
                "type": "application",
                "bom-ref": f"{root_ref}#{name}",
                "name": name,
                "version": root["version"],
                "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}],
            }
            for name, data, _ in sorted(binaries, key=lambda b: b[0])
        ],
    }
    if main["purl"] is None:
        del main["purl"]
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(spec["sourceDateEpoch"]))
    generator = spec["generator"]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {
                "components": [
                    {
                        "type": "application",
                        "name": generator["name"],
                        "version": generator["version"],
                    }
                ]
            },
            "component": main,
            "properties": [{"name": TARGET_PROPERTY, "value": spec["target"]}],
        },
        "components": sorted(
            (component(p) for k, p in packages.items() if ref(p) != root_ref),
            key=lambda c: c["bom-ref"],
        ),
        "dependencies": [{"ref": at, "dependsOn": sorted(edges[at])} for at in sorted(edges)],
    }
    # bomFormat and specVersion first, as CycloneDX documents begin.
    head = {field: document[field] for field in ("bomFormat", "specVersion")}
    return {**head, "serialNumber": serial_number(document), **document}


def serial_number(document):
    """A UUID (version 5) named by the document's own content: stable, and unique per content."""
    content = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    name = "sha256:" + hashlib.sha256(content).hexdigest()
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def main():
    spec = json.loads(sys.argv[1])
    binaries = []
    try:
        for binary in spec["binaries"]:
            with open(binary["path"], "rb") as handle:
                data = handle.read()
            try:
                binaries.append((binary["name"], data, dependency_list(data)))
            except Refused as problem:
                raise Refused(f"{binary['name']} ({spec['target']}) {problem}") from None
        document = sbom(spec, binaries)
    except Refused as problem:
        sys.exit(f"{spec['output']}: {problem}")
    except OSError as error:
        sys.exit(f"{spec['output']}: cannot read a binary: {error}")
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        os.makedirs(os.path.dirname(spec["output"]) or ".", exist_ok=True)
        with open(spec["output"], "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        sys.exit(f"cannot write {spec['output']}: {error}")
    crates = document["components"]
    build = sum(1 for c in crates if c["scope"] == "excluded")
    print(
        f"wrote {spec['output']}: {len(crates)} crates ({build} build-time only) for "
        f"{spec['target']}, from {', '.join(b[0] for b in binaries)}"
    )


if __name__ == "__main__":
    main()
