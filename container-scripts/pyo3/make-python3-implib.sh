#!/bin/sh
# Makes python3.dll's import library (python3.lib) for a *-pc-windows-msvc abi3 extension, in
# the Windows build container, so that pyo3 before 0.29 links without its generate-import-lib
# feature and the project's Cargo.toml and Cargo.lock stay as committed:
#
#   make-python3-implib.sh <sha256> <python3.def> <out-dir> <arch>
#
# checks python3.def against <sha256>, then writes <out-dir>/<arch>/python3.lib (arch: x86_64
# or aarch64) with llvm-dlltool, the command pyo3's own generator (python3-dll-a) runs over the
# same file; the build then runs with PYO3_CROSS_LIB_DIR=<out-dir>/<arch>. POSIX sh: the xwin
# image has no Python of its own.
set -eu
sha256=$1 def=$2 out=$3 arch=$4

echo "$sha256  $def" | sha256sum -c - >/dev/null || {
  echo "make-python3-implib: $def does not have the pinned sha256 $sha256" >&2
  exit 1
}
case "$arch" in
  x86_64) machine=i386:x86-64 ;;
  aarch64) machine=arm64 ;;
  *) echo "make-python3-implib: no import library for arch $arch" >&2; exit 1 ;;
esac

dlltool=$(command -v llvm-dlltool || true)
if [ -z "$dlltool" ]; then
  # Without Debian's llvm: rustup's llvm-tools ship llvm-ar, which acts as llvm-dlltool when
  # called by that name (cargo-xwin links it the same way into its own cache).
  host=$(rustc -vV | sed -n 's/^host: //p')
  ar="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-ar"
  if [ ! -x "$ar" ]; then
    echo "make-python3-implib: neither llvm-dlltool nor rustup's llvm-tools (llvm-ar) is installed" >&2
    exit 1
  fi
  mkdir -p "$out/bin"
  ln -sf "$ar" "$out/bin/llvm-dlltool"
  dlltool="$out/bin/llvm-dlltool"
fi
mkdir -p "$out/$arch"
"$dlltool" -m "$machine" -d "$def" -l "$out/$arch/python3.lib"
echo "$out/$arch/python3.lib"
