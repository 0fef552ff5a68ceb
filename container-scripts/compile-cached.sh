#!/bin/sh
# Runs one compile step (cargo zigbuild, cargo xwin build, maturin build) with sccache as
# RUSTC_WRAPPER, when the module was given --compile-cache. A POSIX shell script, not Python:
# it runs in the toolchain images (cargo-zigbuild, cargo-xwin), which promise sh, not python3.
#
#   sh compile-cached.sh SCCACHE REPORT_DIR COMMAND [ARG...]
#
# sccache 0.16 fails the rustc that starts its server when the backend cannot be reached (the
# client gives up after 10 s, and cargo with it); SCCACHE_IGNORE_SERVER_IO_ERROR only covers a
# server lost later. So the server is started first: if that fails, COMMAND runs without the
# wrapper, complete and uncached, and the status says so. A backend lost mid-build is not fatal
# either (reads miss, writes are counted as errors).
#
# REPORT_DIR/status is "ok", "unreachable" or "lost" (the server died before its statistics were
# read); REPORT_DIR/stats.json is `sccache --show-stats --stats-format json` without
# cache_location, which names the backend's address. Nothing sccache prints reaches the log.
set -u
sccache=$1
report=$2
shift 2
mkdir -p "$report"

# The server lives as long as this step: no idle exit during a long link, and a lost connection
# compiles locally instead of failing rustc. sccache refuses incremental builds.
export SCCACHE_IDLE_TIMEOUT=0 SCCACHE_IGNORE_SERVER_IO_ERROR=1 CARGO_INCREMENTAL=0

if "$sccache" --start-server >/dev/null 2>&1; then
  echo ok >"$report/status"
  # The file name must stay "sccache": cc-rs then wraps the C compiles too.
  export RUSTC_WRAPPER="$sccache"
  if [ -n "${RUSTC_WORKSPACE_WRAPPER:-}" ]; then
    # Cargo runs `$RUSTC_WRAPPER $RUSTC_WORKSPACE_WRAPPER rustc ...` for the workspace's own
    # crates (cargo-auditable, which records the dependency list). sccache 0.16 cannot find rustc
    # behind a second wrapper (mozilla/sccache#1274: "Compiler not supported"), and would not
    # cache those crates anyway (bins, cdylibs): they go straight to the workspace wrapper,
    # everything else (the dependencies, and cc-rs's C compiles) through sccache.
    shim_dir=$(mktemp -d)
    printf '#!/bin/sh\nif [ "$1" = "%s" ]; then exec "$@"; fi\nexec "%s" "$@"\n' \
      "$RUSTC_WORKSPACE_WRAPPER" "$sccache" >"$shim_dir/sccache"
    chmod +x "$shim_dir/sccache"
    export RUSTC_WRAPPER="$shim_dir/sccache"
  fi
else
  echo unreachable >"$report/status"
  "$sccache" --stop-server >/dev/null 2>&1 || true
  unset RUSTC_WRAPPER
fi

"$@"
code=$?

if [ "$(cat "$report/status")" = ok ]; then
  if "$sccache" --show-stats --stats-format json >"$report/stats.raw" 2>/dev/null; then
    # A JSON string: any character but a quote or a backslash, or a backslash and the next one.
    sed 's/"cache_location":"[^"\\]*\(\\.[^"\\]*\)*"/"cache_location":""/' \
      "$report/stats.raw" >"$report/stats.json"
  else
    echo lost >"$report/status"
  fi
  rm -f "$report/stats.raw"
  "$sccache" --stop-server >/dev/null 2>&1 || true
fi
exit "$code"
