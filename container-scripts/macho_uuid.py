"""Gives a thin 64-bit Mach-O file a deterministic LC_UUID, in place, keeping an ad-hoc code
signature valid.

Usage: macho_uuid.py [--check] [--require-uuid] [-q] FILE... zig's linker (cargo-zigbuild)
derives the UUID from its output while that still holds debug-map entries carrying object-file
mtimes; rustc's strip then removes the entries but keeps the UUID, so two clean builds differ only
there (and, on arm64, in the signature's hash of the page holding it). macOS refuses images
without a UUID, so it is kept:

- new UUID = sha256 of the file with the 16 UUID bytes and, in every CodeDirectory, the hashes of
  the page(s) holding them zeroed; truncated to 16 bytes with RFC 4122 version 3 / variant bits
  (as ld64, lld and zig mark theirs). Nothing rewritten feeds the hash: idempotent.
- the page hashes of every CodeDirectory (hashType, pageSize, codeLimit honoured) are checked
  before and after, and the affected ones recomputed.

It refuses (exit 2) what it does not understand: fat, 32-bit or big-endian files, object files,
several LC_UUIDs, malformed load commands, scatter or > 4 GiB CodeDirectories, unknown hash types,
page hashes that already do not match, and real (CMS) signatures. Standard library only, Python
3.8+: it runs in the plain python image.
"""

import argparse
import hashlib
import os
import struct
import sys
import uuid as uuidlib

MH_MAGIC_64 = 0xFEEDFACF
MH_CIGAM_64 = 0xCFFAEDFE
MH_MAGIC = 0xFEEDFACE
MH_CIGAM = 0xCEFAEDFE
FAT_MAGIC = 0xCAFEBABE
FAT_CIGAM = 0xBEBAFECA
FAT_MAGIC_64 = 0xCAFEBABF
FAT_CIGAM_64 = 0xBFBAFECA

CPU_TYPES = {0x01000007: "x86_64", 0x0100000C: "arm64"}
FILE_TYPES = {0x2: "MH_EXECUTE", 0x6: "MH_DYLIB", 0x8: "MH_BUNDLE"}

LC_UUID = 0x1B
LC_CODE_SIGNATURE = 0x1D

CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSMAGIC_BLOBWRAPPER = 0xFADE0B01
CSSLOT_CODEDIRECTORY = 0
CSSLOT_ALTERNATE_CODEDIRECTORIES = range(0x1000, 0x1005)
CSSLOT_SIGNATURESLOT = 0x10000

# hashType -> (hashlib name, digest size stored in the slot)
CS_HASH_TYPES = {
    1: ("sha1", 20),  # CS_HASHTYPE_SHA1
    2: ("sha256", 32),  # CS_HASHTYPE_SHA256
    3: ("sha256", 20),  # CS_HASHTYPE_SHA256_TRUNCATED
    4: ("sha384", 48),  # CS_HASHTYPE_SHA384
}


class Refuse(Exception):
    """The file is not something this script understands; nothing was written."""


class CodeDirectory:
    def __init__(
        self,
        blob_off,
        version,
        flags,
        hash_offset,
        n_code_slots,
        code_limit,
        hash_size,
        hash_type,
        page_shift,
        ident,
    ):
        self.blob_off = blob_off  # file offset of the CodeDirectory blob
        self.version = version
        self.flags = flags
        self.hash_offset = hash_offset
        self.n_code_slots = n_code_slots
        self.code_limit = code_limit
        self.hash_size = hash_size
        self.hash_type = hash_type
        self.page_shift = page_shift
        self.ident = ident

    @property
    def page_size(self):
        # pageSize 0 means "infinite": one slot covers [0, codeLimit).
        return (1 << self.page_shift) if self.page_shift else max(self.code_limit, 1)

    def slot_file_off(self, index):
        """File offset of code slot "index" (0-based)."""
        return self.blob_off + self.hash_offset + index * self.hash_size

    def page_hash(self, data, index):
        name, size = CS_HASH_TYPES[self.hash_type]
        start = index * self.page_size
        end = min(start + self.page_size, self.code_limit)
        return hashlib.new(name, bytes(data[start:end])).digest()[:size]

    def pages_touching(self, start, end):
        """Slot indices whose page overlaps the byte range [start, end)."""
        if start >= self.code_limit:
            return []
        end = min(end, self.code_limit)
        first = start // self.page_size
        last = (end - 1) // self.page_size
        return list(range(first, last + 1))

    def check_all_slots(self, data, what):
        for i in range(self.n_code_slots):
            off = self.slot_file_off(i)
            if bytes(data[off : off + self.hash_size]) != self.page_hash(data, i):
                raise Refuse(
                    "%s: code slot %d of CodeDirectory %r (hashType %d) does "
                    "not match page %d" % (what, i, self.ident, self.hash_type, i)
                )


def u32be(data, off):
    return struct.unpack_from(">I", data, off)[0]


def parse_code_signature(data, sig_off, sig_size):
    """Return the list of CodeDirectories in the embedded signature SuperBlob."""
    end = sig_off + sig_size
    if sig_size < 12 or end > len(data):
        raise Refuse(
            "LC_CODE_SIGNATURE range [%d, %d) is outside the file (size %d)"
            % (sig_off, end, len(data))
        )
    magic, length, count = struct.unpack_from(">III", data, sig_off)
    if magic != CSMAGIC_EMBEDDED_SIGNATURE:
        raise Refuse(
            "code signature SuperBlob has magic 0x%08x, expected 0x%08x"
            % (magic, CSMAGIC_EMBEDDED_SIGNATURE)
        )
    if length > sig_size or 12 + 8 * count > length:
        raise Refuse("code signature SuperBlob length/count are inconsistent")
    cds = []
    for i in range(count):
        slot_type, blob_rel = struct.unpack_from(">II", data, sig_off + 12 + 8 * i)
        if blob_rel + 8 > length:
            raise Refuse("code signature blob %d lies outside the SuperBlob" % i)
        blob_off = sig_off + blob_rel
        bmagic, blen = struct.unpack_from(">II", data, blob_off)
        if blen < 8 or blob_rel + blen > length:
            raise Refuse("code signature blob %d has a bad length" % i)
        if slot_type == CSSLOT_SIGNATURESLOT:
            if bmagic != CSMAGIC_BLOBWRAPPER:
                raise Refuse("CMS slot does not hold a BlobWrapper")
            if blen > 8:
                raise Refuse(
                    "the file carries a CMS (certificate) signature; changing "
                    "the UUID would invalidate it. Run this before signing."
                )
            continue  # empty wrapper, as left by ad-hoc "codesign -s -"
        if slot_type == CSSLOT_CODEDIRECTORY or slot_type in CSSLOT_ALTERNATE_CODEDIRECTORIES:
            if bmagic != CSMAGIC_CODEDIRECTORY:
                raise Refuse(
                    "slot 0x%x does not hold a CodeDirectory (magic 0x%08x)" % (slot_type, bmagic)
                )
            cds.append(parse_code_directory(data, blob_off, blen))
        # Requirements, entitlements, etc. are left untouched; their special-slot
        # hashes stay valid because those blobs do not change.
    if not cds:
        raise Refuse("code signature has no CodeDirectory")
    return cds


def parse_code_directory(data, off, blen):
    if blen < 44:
        raise Refuse("CodeDirectory too short")
    (
        _magic,
        _length,
        version,
        flags,
        hash_offset,
        ident_offset,
        _n_special,
        n_code_slots,
        code_limit,
        hash_size,
        hash_type,
        _platform,
        page_shift,
        _spare2,
    ) = struct.unpack_from(">IIIIIIIIIBBBBI", data, off)
    if version >= 0x20100 and blen >= 48 and u32be(data, off + 44) != 0:
        raise Refuse("CodeDirectory uses a scatter vector, which is not supported")
    if version >= 0x20300 and blen >= 64:
        code_limit64 = struct.unpack_from(">Q", data, off + 56)[0]
        if code_limit64 != 0:
            raise Refuse("CodeDirectory uses codeLimit64 (> 4 GiB), not supported")
    if hash_type not in CS_HASH_TYPES:
        raise Refuse("CodeDirectory hashType %d is not supported" % hash_type)
    if CS_HASH_TYPES[hash_type][1] != hash_size:
        raise Refuse(
            "CodeDirectory hashType %d with hashSize %d is inconsistent" % (hash_type, hash_size)
        )
    if page_shift and not 9 <= page_shift <= 24:
        raise Refuse("CodeDirectory pageSize 2^%d is implausible" % page_shift)
    ident = b""
    if 0 < ident_offset < blen:
        ident = bytes(data[off + ident_offset : off + blen]).split(b"\0", 1)[0]
    cd = CodeDirectory(
        off,
        version,
        flags,
        hash_offset,
        n_code_slots,
        code_limit,
        hash_size,
        hash_type,
        page_shift,
        ident.decode("utf-8", "replace"),
    )
    expected_slots = (code_limit + cd.page_size - 1) // cd.page_size
    if n_code_slots != expected_slots:
        raise Refuse(
            "CodeDirectory %r: nCodeSlots %d but codeLimit %d / pageSize %d "
            "needs %d" % (cd.ident, n_code_slots, code_limit, cd.page_size, expected_slots)
        )
    if hash_offset + n_code_slots * hash_size > blen:
        raise Refuse("CodeDirectory %r: code slots run past the blob" % cd.ident)
    if code_limit > len(data):
        raise Refuse(
            "CodeDirectory %r: codeLimit %d is past the end of the file" % (cd.ident, code_limit)
        )
    return cd


def parse_macho(data):
    """Return (uuid_off or None, [CodeDirectory], description)."""
    if len(data) < 4:
        raise Refuse("file too short to be a Mach-O")
    magic_be = struct.unpack_from(">I", data, 0)[0]
    if magic_be in (FAT_MAGIC, FAT_CIGAM, FAT_MAGIC_64, FAT_CIGAM_64):
        raise Refuse(
            "fat/universal file (or not Mach-O at all); run this on each thin slice before lipo"
        )
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic in (MH_MAGIC, MH_CIGAM):
        raise Refuse("32-bit Mach-O is not supported")
    if magic == MH_CIGAM_64:
        raise Refuse("big-endian 64-bit Mach-O is not supported")
    if magic != MH_MAGIC_64:
        raise Refuse("not a Mach-O file (magic 0x%08x)" % magic)
    if len(data) < 32:
        raise Refuse("truncated Mach-O header")
    (_m, cputype, _sub, filetype, ncmds, sizeofcmds, _flags, _res) = struct.unpack_from(
        "<IiiIIIII", data, 0
    )
    cputype &= 0xFFFFFFFF
    if cputype not in CPU_TYPES:
        raise Refuse("CPU type 0x%x is not supported (only x86_64 and arm64)" % cputype)
    if filetype not in FILE_TYPES:
        raise Refuse(
            "Mach-O filetype %d is not supported (only executables, dylibs, bundles)" % filetype
        )
    if 32 + sizeofcmds > len(data):
        raise Refuse("load commands run past the end of the file")
    off = 32
    end = 32 + sizeofcmds
    uuid_off = None
    sig = None
    for i in range(ncmds):
        if off + 8 > end:
            raise Refuse("load command %d starts past sizeofcmds" % i)
        cmd, cmdsize = struct.unpack_from("<II", data, off)
        if cmdsize < 8 or cmdsize % 8 or off + cmdsize > end:
            raise Refuse("load command %d (0x%x) has a bad cmdsize %d" % (i, cmd, cmdsize))
        if cmd == LC_UUID:
            if cmdsize != 24:
                raise Refuse("LC_UUID has cmdsize %d, expected 24" % cmdsize)
            if uuid_off is not None:
                raise Refuse("more than one LC_UUID")
            uuid_off = off + 8
        elif cmd == LC_CODE_SIGNATURE:
            if cmdsize != 16:
                raise Refuse("LC_CODE_SIGNATURE has cmdsize %d, expected 16" % cmdsize)
            if sig is not None:
                raise Refuse("more than one LC_CODE_SIGNATURE")
            sig = struct.unpack_from("<II", data, off + 8)
        off += cmdsize
    if off != end:
        raise Refuse("load commands do not add up to sizeofcmds")
    cds = parse_code_signature(data, sig[0], sig[1]) if sig else []
    for cd in cds:
        if cd.code_limit > sig[0]:
            raise Refuse(
                "CodeDirectory %r: codeLimit %d covers the signature itself "
                "(at %d)" % (cd.ident, cd.code_limit, sig[0])
            )
    desc = "%s %s" % (CPU_TYPES[cputype], FILE_TYPES[filetype])
    return uuid_off, cds, desc


def canonical_uuid(data, uuid_off, cds):
    """UUID derived from everything this script does not rewrite."""
    scratch = bytearray(data)
    scratch[uuid_off : uuid_off + 16] = bytes(16)
    for cd in cds:
        for i in cd.pages_touching(uuid_off, uuid_off + 16):
            o = cd.slot_file_off(i)
            scratch[o : o + cd.hash_size] = bytes(cd.hash_size)
    u = bytearray(hashlib.sha256(bytes(scratch)).digest()[:16])
    u[6] = (u[6] & 0x0F) | 0x30  # version 3 (name-based, as ld64/lld/zig mark theirs)
    u[8] = (u[8] & 0x3F) | 0x80  # RFC 4122 variant
    return bytes(u)


def process(path, check_only, require_uuid, log):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    uuid_off, cds, desc = parse_macho(data)
    if uuid_off is None:
        msg = "%s: %s has no LC_UUID; left unchanged" % (path, desc)
        if require_uuid:
            raise Refuse(
                msg + " (--require-uuid; note recent macOS dyld refuses images without LC_UUID)"
            )
        log("NOTICE " + msg + " (recent macOS dyld refuses images without LC_UUID)")
        return False
    for cd in cds:
        cd.check_all_slots(data, "%s: before rewrite" % path)

    old = bytes(data[uuid_off : uuid_off + 16])
    new = canonical_uuid(data, uuid_off, cds)
    data[uuid_off : uuid_off + 16] = new
    writes = [(uuid_off, new)]
    for cd in cds:
        for i in cd.pages_touching(uuid_off, uuid_off + 16):
            h = cd.page_hash(data, i)
            o = cd.slot_file_off(i)
            data[o : o + cd.hash_size] = h
            writes.append((o, h))
    for cd in cds:
        cd.check_all_slots(data, "%s: after rewrite (internal error)" % path)
    if canonical_uuid(data, uuid_off, cds) != new:
        raise Refuse("%s: internal error: UUID is not stable under rewrite" % path)

    sig_note = (
        "; re-hashed %d CodeDirector%s (%s)"
        % (
            len(cds),
            "y" if len(cds) == 1 else "ies",
            ", ".join("%s/%dB pages" % (CS_HASH_TYPES[c.hash_type][0], c.page_size) for c in cds),
        )
        if cds
        else "; no code signature"
    )
    old_s = str(uuidlib.UUID(bytes=old)).upper()
    new_s = str(uuidlib.UUID(bytes=new)).upper()
    if old == new:
        log(
            "%s: %s: UUID %s already canonical%s"
            % (
                path,
                desc,
                new_s,
                "; all %d code slots verified" % sum(c.n_code_slots for c in cds) if cds else "",
            )
        )
        return False
    if check_only:
        log("%s: %s: UUID %s would become %s" % (path, desc, old_s, new_s))
        return True
    # Validate everything first, then patch only the changed bytes in place
    # (keeps the inode, permissions and hard links, e.g. cargo's deps/ copy).
    with open(path, "r+b") as f:
        for o, b in writes:
            f.seek(o)
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    log("%s: %s: UUID %s -> %s%s" % (path, desc, old_s, new_s, sig_note))
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Set a deterministic LC_UUID in thin 64-bit Mach-O files, in place, "
        "keeping an ad-hoc code signature valid."
    )
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if any file would change"
    )
    ap.add_argument(
        "--require-uuid", action="store_true", help="treat a file without LC_UUID as an error"
    )
    ap.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    args = ap.parse_args(argv)

    def log(msg):
        if not args.quiet:
            print(msg)

    changed = False
    failed = False
    for path in args.files:
        try:
            changed |= process(path, args.check, args.require_uuid, log)
        except Refuse as e:
            msg = str(e)
            if not msg.startswith(path + ":"):
                msg = "%s: %s" % (path, msg)
            print("ERROR refusing %s" % msg, file=sys.stderr)
            failed = True
        except (OSError, struct.error) as e:
            print("ERROR %s: %s" % (path, e), file=sys.stderr)
            failed = True
    if failed:
        return 2
    if args.check and changed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
