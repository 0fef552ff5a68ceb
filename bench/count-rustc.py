#!/usr/bin/env python3
"""A RUSTC_WRAPPER that counts compilations, then hands over to the real sccache.

Placed at the compiling container's sccache path by the compile-cache bench (and so named
`sccache`: cc-rs wraps C compiles with RUSTC_WRAPPER only under that name). Cargo calls it as
`sccache <rustc> <args...>`; each call that compiles one of cargo's units appends one line to
$RUSTC_COUNT_LOG: crate name, target (or "host"), crate types, a digest of the enabled
features, cargo's -C metadata, whether it is a dependency (cargo caps a dependency's lints
with `--cap-lints`) or the workspace's own crate, the package (the crate root's directory
below the registry or vendor directory: every build script's crate is `build_script_build`),
and the seconds the compilation took.
rustc runs that carry no `-C metadata` are not cargo's units but a build script's probes
(proc-macro2 and autocfg compile small test crates): they are not counted. Every call, counted
or not, then runs $RUSTC_COUNT_NEXT with the same arguments.

The bench installs it a second time as the workspace wrapper, `count-workspace`: the step's
script sends the workspace's own crates to that wrapper without sccache, and this copy times
them and runs $RUSTC_COUNT_WORKSPACE_NEXT (cargo-auditable).
"""

import hashlib
import os
import re
import subprocess
import sys
import time


def values(args, flag):
    found = []
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith(flag + "="):
            found.append(arg[len(flag) + 1 :])
    return found


def package(args):
    """The crate root's package directory, e.g. `libc-0.2.191` (vendored with versions), or `.`."""
    roots = [a for a in args if a.endswith(".rs") and not a.startswith("-")]
    if not roots:
        return "-"
    # Vendored (--versioned-dirs) and registry sources live in <name>-<version> directories.
    for part in roots[0].split("/"):
        if re.fullmatch(r"[A-Za-z0-9_.-]+-\d+\.\d+\.\d+\S*", part):
            return part
    return "."


def main():
    args = sys.argv[2:]
    names = values(args, "--crate-name")
    # Installed twice: as sccache, and as the workspace wrapper in front of cargo-auditable.
    workspace = os.path.basename(sys.argv[0]) == "count-workspace"
    real = os.environ["RUSTC_COUNT_WORKSPACE_NEXT" if workspace else "RUSTC_COUNT_NEXT"]
    log = os.environ.get("RUSTC_COUNT_LOG")
    # cargo's `--print` queries are named ___; rustc reading stdin is a probe, not a crate.
    metadata = [c for c in values(args, "-C") if c.startswith("metadata=")]
    if log and names and names[0] != "___" and "-" not in args and metadata:
        features = sorted(c for c in values(args, "--cfg") if c.startswith("feature="))
        line = "\t".join(
            [
                names[0],
                (values(args, "--target") or ["host"])[0],
                ",".join(values(args, "--crate-type")) or "-",
                hashlib.sha256(" ".join(features).encode()).hexdigest()[:8],
                metadata[0],
                "dependency" if values(args, "--cap-lints") else "workspace",
                package(args),
            ]
        )
        # Run it and time it (wall seconds, the wrapper's start included): the bench splits a
        # build's rustc time into what sccache can cache and what it never does.
        start = time.monotonic()
        # close_fds=False: rustc shares the jobserver pipe cargo passed down.
        code = subprocess.call([real] + sys.argv[1:], close_fds=False)
        line += "\t%.3f" % (time.monotonic() - start)
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "a") as out:
            out.write(line + "\n")
        sys.exit(code)
    os.execv(real, [real] + sys.argv[1:])


main()
