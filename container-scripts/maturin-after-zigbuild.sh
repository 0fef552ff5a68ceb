#!/bin/sh
# A release's wheel for a zig target, built after the target's binaries in ONE step, so that
# maturin reuses what cargo compiled for them instead of compiling every dependency again.
#
#   sh maturin-after-zigbuild.sh BUILD_TARGET TRIPLE SOURCE_ROOT MANIFESTS 'CARGO ZIGBUILD LINE' \
#     MATURIN [ARG...]
#
# cargo-zigbuild writes its linker and compiler wrappers into a directory named by a hash of the
# running executable's path, and maturin embeds its own copy of it: the two builds would give
# rustc a different `-C linker=` and build scripts different CC/AR/... values, so cargo's
# fingerprints (and sccache's keys) differ and everything compiles twice. Both only set these
# variables when they are missing, so this step runs the binaries' exact `cargo zigbuild` first
# (nothing to do when the binary step already ran in the same target directory, which the two
# steps share, LOCKED), then hands maturin the wrappers cargo-zigbuild wrote.
# A `bin` wheel then packs the binary cargo built: one compile, two packages.
#
# MANIFESTS (or `-`) holds the manifests the binaries' build reads in place of the source's, at
# their paths below SOURCE_ROOT (a cdylib+rlib library narrowed to its rlib: see the module's
# lib/plan/binary-manifests.ts). They are in place for the cargo line only: maturin builds from
# the project's own, restored with their times.
set -eu
build_target=$1
triple=$2
root=$3
manifests=$4
binaries=$5
shift 5

saved=""
if [ "$manifests" != "-" ]; then
  saved=$(mktemp -d)
  (cd "$manifests" && find . -type f) > "$saved.list"
  while IFS= read -r file; do
    mkdir -p "$saved/$(dirname "$file")"
    cp -p "$root/$file" "$saved/$file"
    cp "$manifests/$file" "$root/$file"
  done < "$saved.list"
fi
(cd "$root" && sh -ec "$binaries")
if [ -n "$saved" ]; then
  while IFS= read -r file; do cp -p "$saved/$file" "$root/$file"; done < "$saved.list"
  rm -rf "$saved" "$saved.list"
fi

wrappers="${XDG_CACHE_HOME:-$HOME/.cache}/cargo-zigbuild"
cc=$(grep -l 'cargo-zigbuild" zig cc' "$wrappers"/*/wrappers/*/"zigcc-$build_target-"*.sh | head -n 1)
if [ -z "$cc" ]; then
  echo "maturin-after-zigbuild: cargo-zigbuild wrote no wrapper for $build_target" >&2
  exit 1
fi
dir=$(dirname "$cc")
upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
lower=$(echo "$triple" | tr '-' '_')
export "CARGO_TARGET_${upper}_LINKER=$cc" "CC_$lower=$cc"
export "CXX_$lower=$dir/$(basename "$cc" | sed 's/^zigcc-/zigcxx-/')"
export "AR_$lower=$dir/ar" "RANLIB_$lower=$dir/zigranlib.sh"
if [ -f "$dir/cmake/$triple-toolchain.cmake" ]; then
  export "CMAKE_TOOLCHAIN_FILE_$lower=$dir/cmake/$triple-toolchain.cmake"
fi
exec "$@"
