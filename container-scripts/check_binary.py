"""Check that a built binary is what its release target promises.

Reads a binary's headers with the standard library only (the python image has no `file` or
`readelf`) and checks it against the target: format, word size, byte order, architecture (and for
32-bit Arm the float ABI, for 64-bit PowerPC the ELF ABI version), that it is an executable, and
how it links:

- Linux gnu rows: dynamically linked through glibc's loader for the architecture, and no
  GLIBC_x.y symbol version above `glibcFloor`;
- Linux musl rows: statically linked, with no interpreter (PT_INTERP) and no shared libraries
  (DT_NEEDED); static-pie and classic static are both accepted, and the ok line says which;
- macOS: a recorded minimum (LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX) no later than
  `macosFloor`;
- Windows: a console executable for the machine type.

A universal (fat) Mach-O is refused: every target ships its own thin binary, so a fat one means
the wrong file was picked up. Reads that run past the end report a truncated file; every loaded
segment or section must lie inside the file, so a cut-short copy is caught too.

Input: one JSON argument, the spec:
    target      the triple, named in every message
    path        the file to check
    os          "linux" | "macos" | "windows"
    arch        "x86_64" | "aarch64" | "x86" | "armv7" | "ppc64le" | "s390x"
    abi         "gnu" | "musl" | "msvc" | null (macOS); absent or null: no linkage check
    bits        64 (default) | 32
    endianness  "little" (default) | "big"
    floatAbi    "hard" | "soft" | null: Arm only, what e_flags must say
    glibcFloor  "2.17" | null
    macosFloor  "10.12" | null
It prints one `ok: ...` line, or exits 1 naming the target, what was expected and what was found.
Python 3.8+, standard library only.
"""

import json
import re
import struct
import sys

ELF_ARCHES = {
    62: "x86_64",
    183: "aarch64",
    3: "x86",
    40: "arm",
    243: "riscv",
    21: "ppc64",
    20: "ppc",
    22: "s390x",
    8: "mips",
}
MACHO_ARCHES = {0x01000007: "x86_64", 0x0100000C: "aarch64", 7: "x86", 12: "arm"}
PE_ARCHES = {0x8664: "x86_64", 0xAA64: "aarch64", 0x14C: "x86", 0x1C4: "arm", 0xA641: "arm64ec"}

ELF_KINDS = {1: "relocatable object", 2: "executable", 3: "shared library", 4: "core dump"}
MACHO_KINDS = {1: "object file", 2: "executable", 6: "dynamic library", 8: "bundle"}
PE_SUBSYSTEMS = {2: "GUI", 3: "console", 10: "EFI"}

EXPECTED_KINDS = {"linux": "executable", "macos": "executable", "windows": "console executable"}

# glibc's program interpreter per architecture (the loader a gnu binary must name; a musl one
# names /lib/ld-musl-<arch>.so.1, an Arm soft-float one /lib/ld-linux.so.3).
GLIBC_LOADERS = {
    "x86_64": "/lib64/ld-linux-x86-64.so.2",
    "aarch64": "/lib/ld-linux-aarch64.so.1",
    "x86": "/lib/ld-linux.so.2",
    "armv7": "/lib/ld-linux-armhf.so.3",
    "ppc64le": "/lib64/ld64.so.2",
    "s390x": "/lib/ld64.so.1",
}

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_FLAGS_1 = 0, 1, 5, 0x6FFFFFFB
DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
DF_1_PIE = 0x08000000
SHT_ARM_ATTRIBUTES = 0x70000003
# Arm e_flags: the EABI version in the top byte, the float ABI in two bits (Arm ELF spec, 5.2).
EF_ARM_EABIMASK, EF_ARM_ABI_FLOAT_SOFT, EF_ARM_ABI_FLOAT_HARD = 0xFF000000, 0x200, 0x400
# Tag_CPU_arch values (Arm build attributes ABI) that name an architecture version.
ARM_CPU_ARCHES = {
    1: "armv4",
    2: "armv4t",
    3: "armv5t",
    4: "armv5te",
    5: "armv5tej",
    6: "armv6",
    7: "armv6kz",
    8: "armv6t2",
    9: "armv6k",
    10: "armv7",
    11: "armv6-m",
    12: "armv6s-m",
    13: "armv7e-m",
    14: "armv8-a",
}
# 64-bit PowerPC e_flags: the ELF ABI version (1: the old big-endian ABI with function
# descriptors, 2: ELFv2, which every little-endian ppc64 system uses).
EF_PPC64_ABI = 0x3
LC_SEGMENT_64, LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION = 0x19, 0x24, 0x32
IMAGE_FILE_EXECUTABLE_IMAGE, IMAGE_FILE_DLL = 0x0002, 0x2000


class Rejected(Exception):
    """Carries what was found instead of what the target needs."""


class Linkage:
    """How an ELF executable is loaded: its interpreter and the shared libraries it names."""

    def __init__(self, interpreter, needed, pie):
        self.interpreter = interpreter
        self.needed = needed
        self.pie = pie

    @property
    def static(self):
        return self.interpreter is None and not self.needed

    def __str__(self):
        if self.static:
            pie = " static-pie" if self.pie else ""
            return f"statically linked{pie} (no interpreter, no shared libraries)"
        parts = [f"interpreter {self.interpreter}" if self.interpreter else "no interpreter"]
        parts.append("needs " + ", ".join(self.needed) if self.needed else "no shared libraries")
        return "dynamically linked (" + "; ".join(parts) + ")"


class Found:
    def __init__(self, label, kind=None, glibc=(), macos=None, linkage=None):
        self.label = label
        self.kind = kind
        # Every GLIBC_x.y the binary needs, oldest first (ELF).
        self.glibc = glibc
        # The oldest macOS the binary says it runs on (Mach-O).
        self.macos = macos
        # Interpreter and shared libraries (ELF executables).
        self.linkage = linkage

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


class Elf:
    """The layouts of one ELF class and byte order: 32/64-bit, little/big-endian."""

    def __init__(self, binary, wide, order):
        self.binary = binary
        self.wide = wide
        self.order = order
        word = "Q" if wide else "I"
        self.addresses = order + word * 3  # e_entry, e_phoff, e_shoff
        # Elf64_Phdr puts p_flags second, Elf32_Phdr puts it after p_memsz.
        self.phdr = order + ("IIQQQQQQ" if wide else "IIIIIIII")
        self.dyn = order + ("qQ" if wide else "iI")
        self.dyn_size = 16 if wide else 8
        self.shdr = order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")

    def unpack(self, layout, offset):
        return self.binary.unpack(self.order + layout, offset)

    def segments(self, e_phoff, e_phentsize, e_phnum):
        """(p_type, p_offset, p_vaddr, p_filesz) of every program header."""
        segments = []
        for i in range(e_phnum):
            fields = self.binary.unpack(self.phdr, e_phoff + i * e_phentsize)
            if self.wide:
                p_type, _, offset, vaddr, _, filesz = fields[:6]
            else:
                p_type, offset, vaddr, _, filesz = fields[:5]
            segments.append((p_type, offset, vaddr, filesz))
        return segments

    def sections(self, e_shoff, e_shentsize, e_shnum):
        """(sh_type, sh_offset, sh_size) of every section header."""
        sections = []
        for i in range(e_shnum):
            fields = self.binary.unpack(self.shdr, e_shoff + i * e_shentsize)
            sections.append((fields[1], fields[4], fields[5]))
        return sections


def inspect_elf(binary):
    binary.format = "ELF file"
    ei_class, ei_data = binary.unpack("BB", 4)
    bits = {1: "32-bit", 2: "64-bit"}.get(ei_class, f"class-{ei_class}")
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        return Found(f"ELF {bits} with byte order {ei_data}")
    elf = Elf(binary, ei_class == 2, "<" if ei_data == 1 else ">")
    e_type, e_machine = elf.unpack("HH", 16)
    _, e_phoff, e_shoff = binary.unpack(elf.addresses, 24)
    flags_at = 48 if elf.wide else 36
    (e_flags,) = elf.unpack("I", flags_at)
    e_phentsize, e_phnum, e_shentsize, e_shnum = elf.unpack("HHHH", flags_at + 6)
    segments = elf.segments(e_phoff, e_phentsize, e_phnum)
    for _, offset, _, filesz in segments:
        binary.require(offset + filesz)
    sections = []
    if e_shoff:
        binary.require(e_shoff + e_shnum * e_shentsize)
        sections = elf.sections(e_shoff, e_shentsize, e_shnum)
    order = " big-endian" if ei_data == 2 else ""
    label = f"ELF {bits}{order} {elf_arch(elf, e_machine, e_flags, sections)}"
    dynamic = read_dynamic(elf, segments)
    interpreter = None
    for p_type, offset, _, filesz in segments:
        if p_type == PT_INTERP:
            interpreter = (
                binary.data[offset : offset + filesz].rstrip(b"\0").decode("ascii", "replace")
            )
    pie_flag = bool(dynamic.get(DT_FLAGS_1, [0])[0] & DF_1_PIE)
    # A PIE is ET_DYN like a library; a loader path or the PIE flag tells them apart.
    is_pie = interpreter is not None or pie_flag
    kind = "executable" if e_type == 3 and is_pie else ELF_KINDS.get(e_type, f"type-{e_type} file")
    needed = []
    if DT_NEEDED in dynamic:
        strings = file_offset(segments, dynamic[DT_STRTAB][0])
        needed = [binary.cstring(strings + name) for name in dynamic[DT_NEEDED]]
    linkage = Linkage(interpreter, needed, e_type == 3)
    return Found(label, kind, glibc_versions(elf, segments, dynamic), linkage=linkage)


def elf_arch(elf, e_machine, e_flags, sections):
    """The architecture as the target table names it, with what e_flags adds for Arm and ppc64."""
    name = arch_name(ELF_ARCHES, e_machine)
    if e_machine == 21:
        abi = e_flags & EF_PPC64_ABI
        name = "ppc64le" if elf.order == "<" else "ppc64"
        return f"{name} ELFv{abi}" if abi else f"{name} (ELF ABI version unset)"
    if e_machine == 22 and not elf.wide:
        return "s390"
    if e_machine != 40:
        return name
    version = arm_cpu_arch(elf, sections) or "arm"
    eabi = (e_flags & EF_ARM_EABIMASK) >> 24
    if e_flags & EF_ARM_ABI_FLOAT_HARD:
        floating = "hard-float"
    elif e_flags & EF_ARM_ABI_FLOAT_SOFT:
        floating = "soft-float"
    else:
        floating = "float ABI unrecorded"
    return f"{version} EABI{eabi} {floating}" if eabi else f"{version} (no EABI version) {floating}"


def uleb128(data, position):
    value, shift = 0, 0
    while position < len(data):
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position
    raise Rejected("a malformed ELF file (unterminated number in .ARM.attributes)")


def arm_cpu_arch(elf, sections):
    """Tag_CPU_arch from the "aeabi" build attributes (SHT_ARM_ATTRIBUTES), or None if absent."""
    for sh_type, offset, size in sections:
        if sh_type != SHT_ARM_ATTRIBUTES or size < 1:
            continue
        elf.binary.require(offset + size)
        data = elf.binary.data[offset : offset + size]
        if data[0:1] != b"A":
            return None
        position = 1
        while position + 4 <= len(data):
            (length,) = struct.unpack_from(elf.order + "I", data, position)
            end = position + length
            vendor_end = data.find(b"\0", position + 4, end)
            if length < 5 or vendor_end < 0:
                return None
            if data[position + 4 : vendor_end] == b"aeabi":
                value = arm_file_attribute(elf.order, data, vendor_end + 1, min(end, len(data)), 6)
                if value is not None:
                    return ARM_CPU_ARCHES.get(value, f"arm (Tag_CPU_arch {value})")
            position = end
    return None


def skip_string(data, position):
    end = data.find(b"\0", position)
    if end < 0:
        raise Rejected("a malformed ELF file (unterminated string in .ARM.attributes)")
    return end + 1


def arm_file_attribute(order, data, position, end, wanted):
    """One integer attribute of the Tag_File (1) sub-subsection."""
    while position < end:
        tag, body = uleb128(data, position)
        if body + 4 > end:
            return None
        (size,) = struct.unpack_from(order + "I", data, body)
        section_end = position + size
        position = body + 4
        if tag != 1:
            position = section_end
            continue
        while position < section_end:
            attribute, position = uleb128(data, position)
            # Tags 4, 5 and 67 hold strings, 32 a number then a string; others below 32, and
            # even ones above, hold a number; odd ones above 32 hold a string.
            if attribute in (4, 5, 67) or (attribute > 32 and attribute % 2):
                position = skip_string(data, position)
                continue
            value, position = uleb128(data, position)
            if attribute == 32:
                position = skip_string(data, position)
            if attribute == wanted:
                return value
        return None
    return None


def file_offset(segments, address):
    for p_type, offset, vaddr, filesz in segments:
        if p_type == PT_LOAD and vaddr <= address < vaddr + filesz:
            return offset + address - vaddr
    raise Rejected(f"a malformed ELF file (address {address:#x} is in no segment)")


def read_dynamic(elf, segments):
    """Every dynamic entry's values by tag, in file order (DT_NEEDED repeats)."""
    entries = {}
    for p_type, offset, _, filesz in segments:
        if p_type != PT_DYNAMIC:
            continue
        for position in range(offset, offset + filesz, elf.dyn_size):
            tag, value = elf.binary.unpack(elf.dyn, position)
            if tag == DT_NULL:
                break
            entries.setdefault(tag, []).append(value)
    return entries


def glibc_versions(elf, segments, dynamic):
    """The GLIBC_x.y versions in the loader's view of .gnu.version_r, whatever the sections say."""
    if DT_VERNEED not in dynamic:
        return ()
    binary = elf.binary
    strings = file_offset(segments, dynamic[DT_STRTAB][0])
    need = file_offset(segments, dynamic[DT_VERNEED][0])
    names = []
    for _ in range(dynamic.get(DT_VERNEEDNUM, [0])[0]):
        _, count, _, aux_offset, next_offset = elf.unpack("HHIII", need)
        aux = need + aux_offset
        for _ in range(count):
            _, _, _, name, next_aux = elf.unpack("IHHII", aux)
            names.append(binary.cstring(strings + name))
            if not next_aux:  # the last entry (also stops a corrupt count from looping)
                break
            aux += next_aux
        if not next_offset:
            break
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


def expected_label(spec):
    """What a right binary's label reads, from the spec."""
    bits = spec.get("bits", 64)
    arch = spec["arch"]
    if spec["os"] == "linux":
        if arch == "ppc64le":
            arch = "ppc64le ELFv2"
        elif arch.startswith("arm"):
            floating = spec.get("floatAbi") or "hard"
            arch = f"{arch} EABI5 {floating}-float"
        order = " big-endian" if spec.get("endianness", "little") == "big" else ""
        return f"ELF {bits}-bit{order} {arch}"
    if spec["os"] == "macos":
        return f"Mach-O {bits}-bit {arch}"
    return f"{'PE32+' if bits == 64 else 'PE32'} {arch}"


def linkage_problem(spec, found):
    """Whether an ELF executable links the way its row's ABI says, and what it does instead."""
    abi = spec.get("abi")
    linkage = found.linkage
    if spec["os"] != "linux" or abi is None or linkage is None:
        return None
    if abi == "musl":
        if linkage.static:
            return None
        return (
            f"expected {found} statically linked (no interpreter, no shared libraries),"
            f" found it {linkage}"
        )
    if abi == "gnu":
        loader = GLIBC_LOADERS.get(spec["arch"])
        if linkage.static:
            return (
                f"expected {found} linked against glibc (interpreter {loader}),"
                f" found it {linkage}: a musl or static build where a gnu one belongs"
            )
        if loader is not None and linkage.interpreter != loader:
            return f"expected {found} loaded by glibc's {loader}, found it {linkage}"
    return None


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
    macos_floor = spec["macosFloor"]
    recorded = macos_floor is not None and found.macos is not None
    if recorded and found.macos > parse_version(macos_floor):
        return (
            f"{found} needs macOS {version_text(found.macos)}, newer than the {macos_floor}"
            f" floor (was MACOSX_DEPLOYMENT_TARGET={macos_floor} set for the build?)"
        )
    return None


def floor_summary(spec, found):
    if spec.get("abi") == "musl" and found.linkage is not None:
        return f", {found.linkage}"
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
    expected = Found(expected_label(spec), EXPECTED_KINDS[spec["os"]])
    try:
        found = inspect(binary)
    except Rejected as problem:
        sys.exit(f"{target}: expected {expected}, found {problem}")
    if (found.label, found.kind) != (expected.label, expected.kind):
        sys.exit(f"{target}: expected {expected}, found {found}")
    problem = linkage_problem(spec, found) or floor_problem(spec, found)
    if problem:
        sys.exit(f"{target}: {problem}")
    print(f"ok: {target}: {found}{floor_summary(spec, found)}")


if __name__ == "__main__":
    main()
