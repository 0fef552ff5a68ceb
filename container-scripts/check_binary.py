"""Checks that a release binary was built for its target.

Usage: check_binary.py '{"target", "os", "arch", "glibcFloor", "macosFloor", "path"}'. Reads the
headers with the standard library only (the python image has no `file` or `readelf`): format,
64-bit, architecture, that it is an executable, and that it needs no newer system than the
target's floor: for Linux gnu targets no GLIBC_x.y symbol version above `glibcFloor`, for macOS a
recorded minimum (LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX) no later than `macosFloor`. A
universal (fat) Mach-O is refused: every target ships its own thin binary. Reads that run past the
end report a truncated file. Prints one `ok: ...` line, or exits non-zero naming the target, what
was expected and what was found.
"""

import json
import re
import struct
import sys

ELF_ARCHES = {62: "x86_64", 183: "aarch64", 3: "x86", 40: "arm", 243: "riscv", 21: "ppc64"}
MACHO_ARCHES = {0x01000007: "x86_64", 0x0100000C: "aarch64", 7: "x86", 12: "arm"}
PE_ARCHES = {0x8664: "x86_64", 0xAA64: "aarch64", 0x14C: "x86", 0x1C4: "arm"}

ELF_KINDS = {1: "relocatable object", 2: "executable", 3: "shared library", 4: "core dump"}
MACHO_KINDS = {1: "object file", 2: "executable", 6: "dynamic library", 8: "bundle"}
PE_SUBSYSTEMS = {2: "GUI", 3: "console", 10: "EFI"}

EXPECTED_FORMATS = {"linux": "ELF 64-bit", "macos": "Mach-O 64-bit", "windows": "PE32+"}
EXPECTED_KINDS = {"linux": "executable", "macos": "executable", "windows": "console executable"}

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_STRTAB, DT_FLAGS_1 = 0, 5, 0x6FFFFFFB
DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
DF_1_PIE = 0x08000000
LC_SEGMENT_64, LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION = 0x19, 0x24, 0x32
IMAGE_FILE_EXECUTABLE_IMAGE, IMAGE_FILE_DLL = 0x0002, 0x2000


class Rejected(Exception):
    """Carries what was found instead of what the target needs."""


class Found:
    def __init__(self, label, kind=None, glibc=(), macos=None):
        self.label = label
        self.kind = kind
        # Every GLIBC_x.y the binary needs, oldest first (ELF).
        self.glibc = glibc
        # The oldest macOS the binary says it runs on (Mach-O).
        self.macos = macos

    def __str__(self):
        return self.label if self.kind is None else f"{self.label} {self.kind}"


class Binary:
    """The whole file; a read past its end means the file was cut short."""

    def __init__(self, data):
        self.data = data
        self.format = "file"

    def require(self, end):
        if end > len(self.data):
            raise Rejected(f"a truncated {self.format} ({len(self.data)} bytes)")

    def unpack(self, layout, offset):
        self.require(offset + struct.calcsize(layout))
        return struct.unpack_from(layout, self.data, offset)

    def cstring(self, offset):
        end = self.data.find(b"\0", offset)
        if end < 0:
            self.require(len(self.data) + 1)
        return self.data[offset:end].decode("ascii", "replace")


def arch_name(arches, machine):
    return arches.get(machine, f"machine {machine:#x}")


def parse_version(text):
    """2.17 -> (2, 17, 0): padded, so 10.12 and 10.12.0 compare equal."""
    parts = tuple(int(part) for part in text.split("."))
    return parts + (0,) * (3 - len(parts))


def version_text(version):
    return ".".join(str(part) for part in (version[:2] if version[2] == 0 else version))


def inspect_elf(binary):
    binary.format = "ELF file"
    ei_class, ei_data = binary.unpack("BB", 4)
    bits = {1: "32-bit", 2: "64-bit"}.get(ei_class, f"class-{ei_class}")
    e_type, e_machine = binary.unpack("<HH" if ei_data == 1 else ">HH", 16)
    if ei_data != 1:
        return Found(f"ELF {bits} big-endian {arch_name(ELF_ARCHES, e_machine)}")
    label = f"ELF {bits} {arch_name(ELF_ARCHES, e_machine)}"
    if ei_class != 2:
        return Found(label)
    e_phoff, e_shoff = binary.unpack("<QQ", 32)
    e_phentsize, e_phnum, e_shentsize, e_shnum = binary.unpack("<HHHH", 54)
    segments = [binary.unpack("<IIQQQQ", e_phoff + i * e_phentsize) for i in range(e_phnum)]
    for _, _, offset, _, _, filesz in segments:
        binary.require(offset + filesz)
    if e_shoff:
        binary.require(e_shoff + e_shnum * e_shentsize)
    dynamic = read_dynamic(binary, segments)
    # A PIE is ET_DYN like a library; a loader path or the PIE flag tells them apart.
    is_pie = any(s[0] == PT_INTERP for s in segments) or dynamic.get(DT_FLAGS_1, 0) & DF_1_PIE
    kind = "executable" if e_type == 3 and is_pie else ELF_KINDS.get(e_type, f"type-{e_type} file")
    return Found(label, kind, glibc_versions(binary, segments, dynamic))


def file_offset(binary, segments, address):
    for p_type, _, offset, vaddr, _, filesz in segments:
        if p_type == PT_LOAD and vaddr <= address < vaddr + filesz:
            return offset + address - vaddr
    raise Rejected(f"a malformed ELF file (address {address:#x} is in no segment)")


def read_dynamic(binary, segments):
    entries = {}
    for p_type, _, offset, _, _, filesz in segments:
        if p_type != PT_DYNAMIC:
            continue
        for position in range(offset, offset + filesz, 16):
            tag, value = binary.unpack("<qQ", position)
            if tag == DT_NULL:
                break
            entries.setdefault(tag, value)
    return entries


def glibc_versions(binary, segments, dynamic):
    """The GLIBC_x.y versions in the loader's view of .gnu.version_r, whatever the sections say."""
    if DT_VERNEED not in dynamic:
        return ()
    strings = file_offset(binary, segments, dynamic[DT_STRTAB])
    need = file_offset(binary, segments, dynamic[DT_VERNEED])
    names = []
    for _ in range(dynamic.get(DT_VERNEEDNUM, 0)):
        _, count, _, aux_offset, next_offset = binary.unpack("<HHIII", need)
        aux = need + aux_offset
        for _ in range(count):
            _, _, _, name, next_aux = binary.unpack("<IHHII", aux)
            names.append(binary.cstring(strings + name))
            aux += next_aux
        need += next_offset
    glibc = [name[len("GLIBC_") :] for name in names if re.fullmatch(r"GLIBC_\d+(\.\d+)*", name)]
    return sorted({parse_version(version) for version in glibc})


def inspect_macho(binary):
    binary.format = "Mach-O file"
    magic, cputype, _, filetype, ncmds, _ = binary.unpack("<IiIIII", 0)
    bits = "64-bit" if magic == 0xFEEDFACF else "32-bit"
    label = f"Mach-O {bits} {arch_name(MACHO_ARCHES, cputype)}"
    if magic != 0xFEEDFACF:
        return Found(label)
    command, macos = 32, None
    for _ in range(ncmds):
        cmd, size = binary.unpack("<II", command)
        if cmd == LC_SEGMENT_64:
            fileoff, filesize = binary.unpack("<QQ", command + 40)
            binary.require(fileoff + filesize)
        elif cmd in (LC_BUILD_VERSION, LC_VERSION_MIN_MACOSX):
            # Encoded as xxxx.yy.zz; LC_BUILD_VERSION has a platform field first.
            (packed,) = binary.unpack("<I", command + (12 if cmd == LC_BUILD_VERSION else 8))
            macos = (packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF)
        command += size
    return Found(label, MACHO_KINDS.get(filetype, f"type-{filetype} file"), macos=macos)


def inspect_fat(binary):
    binary.format = "universal Mach-O file"
    (count,) = binary.unpack(">I", 4)
    # Java class files share the magic; their version fields read as a huge count.
    if count > 32:
        return Found("a Java class file or unrecognised data")
    arches = [binary.unpack(">i", 8 + 20 * i)[0] for i in range(count)]
    names = ", ".join(arch_name(MACHO_ARCHES, arch) for arch in arches)
    return Found(f"a universal Mach-O ({names}) where a thin binary belongs")


def inspect_pe(binary):
    binary.format = "PE file"
    (header,) = binary.unpack("<I", 0x3C)
    if binary.unpack("4s", header)[0] != b"PE\0\0":
        return Found("a DOS executable without a PE header")
    machine, sections, _, _, _, optional_size, flags = binary.unpack("<HHIIIHH", header + 4)
    optional = header + 24
    (magic,) = binary.unpack("<H", optional)
    bits = {0x20B: "PE32+", 0x10B: "PE32"}.get(magic, f"PE (optional header {magic:#x})")
    label = f"{bits} {arch_name(PE_ARCHES, machine)}"
    (subsystem,) = binary.unpack("<H", optional + 68)
    table = optional + optional_size
    for i in range(sections):
        raw_size, raw_offset = binary.unpack("<II", table + 40 * i + 16)
        binary.require(raw_offset + raw_size)
    if flags & IMAGE_FILE_DLL:
        return Found(label, "DLL")
    if not flags & IMAGE_FILE_EXECUTABLE_IMAGE:
        return Found(label, "image not marked executable")
    return Found(label, f"{PE_SUBSYSTEMS.get(subsystem, f'subsystem-{subsystem}')} executable")


def inspect_big_endian_macho(binary):
    return Found("a big-endian Mach-O")


MAGICS = [
    (b"\x7fELF", inspect_elf),
    (b"\xcf\xfa\xed\xfe", inspect_macho),
    (b"\xce\xfa\xed\xfe", inspect_macho),
    (b"\xfe\xed\xfa\xcf", inspect_big_endian_macho),
    (b"\xfe\xed\xfa\xce", inspect_big_endian_macho),
    (b"\xca\xfe\xba\xbe", inspect_fat),
    (b"\xca\xfe\xba\xbf", inspect_fat),
    (b"MZ", inspect_pe),
]


def looks_like_text(head):
    return all(0x20 <= byte != 0x7F or byte in b"\t\n\r\f" for byte in head)


def inspect(binary):
    data = binary.data
    if not data:
        return Found("an empty file")
    for magic, inspect_format in MAGICS:
        if data.startswith(magic):
            return inspect_format(binary)
        if magic.startswith(data):
            return Found(f"a truncated file ({len(data)} bytes)")
    if looks_like_text(data[:4096]):
        return Found("a text file, not an executable")
    return Found(f"unrecognised data starting {data[:8].hex(' ')}")


def floor_problem(spec, found):
    """Whether the binary needs a newer system than the target's floor, and which."""
    if spec["glibcFloor"] is not None:
        floor = parse_version(spec["glibcFloor"])
        too_new = ["GLIBC_" + version_text(v) for v in found.glibc if v > floor]
        if too_new:
            return (
                f"{found} needs {too_new[-1]}, newer than the {spec['glibcFloor']} floor"
                f" (too new: {', '.join(too_new)})"
            )
    if spec["macosFloor"] is not None and found.macos is not None:
        if found.macos > parse_version(spec["macosFloor"]):
            floor = spec["macosFloor"]
            return (
                f"{found} needs macOS {version_text(found.macos)}, newer than the {floor} floor"
                f" (was MACOSX_DEPLOYMENT_TARGET={floor} set for the build?)"
            )
    return None


def floor_summary(spec, found):
    if spec["glibcFloor"] is not None:
        newest = "GLIBC_" + version_text(found.glibc[-1]) if found.glibc else "no versioned glibc"
        return f", needs {newest} (floor {spec['glibcFloor']})"
    if spec["macosFloor"] is not None:
        oldest = version_text(found.macos) if found.macos else "an unrecorded version"
        return f", needs macOS {oldest} (floor {spec['macosFloor']})"
    return ""


def main():
    spec = json.loads(sys.argv[1])
    target = spec["target"]
    try:
        with open(spec["path"], "rb") as file:
            binary = Binary(file.read())
    except OSError as error:
        sys.exit(f"{target}: cannot read {spec['path']}: {error.strerror}")
    expected = Found(f"{EXPECTED_FORMATS[spec['os']]} {spec['arch']}", EXPECTED_KINDS[spec["os"]])
    try:
        found = inspect(binary)
    except Rejected as problem:
        sys.exit(f"{target}: expected {expected}, found {problem}")
    if (found.label, found.kind) != (expected.label, expected.kind):
        sys.exit(f"{target}: expected {expected}, found {found}")
    problem = floor_problem(spec, found)
    if problem:
        sys.exit(f"{target}: {problem}")
    print(f"ok: {target}: {found}{floor_summary(spec, found)}")


if __name__ == "__main__":
    main()
