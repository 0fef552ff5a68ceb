#!/usr/bin/env python3
"""A RUSTC_WRAPPER that counts compilations, then hands over to the real sccache.

Placed at the compiling container's sccache path by the compile-cache bench (and so named
`sccache`: cc-rs wraps C compiles with RUSTC_WRAPPER only under that name). Cargo calls it as
`sccache <rustc> <args...>`; each call that compiles a crate appends one line to
$RUSTC_COUNT_LOG: crate name, target (or "host"), crate types, a digest of the enabled
features, cargo's -C metadata, and whether it is a dependency (cargo caps a dependency's lints
with `--cap-lints`) or the workspace's own crate. Every call, counted or not, then runs $RUSTC_COUNT_NEXT
with the same arguments.
"""

import hashlib
import os
import sys


def values(args, flag):
    found = []
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith(flag + "="):
            found.append(arg[len(flag) + 1 :])
    return found


def main():
    args = sys.argv[2:]
    names = values(args, "--crate-name")
    log = os.environ.get("RUSTC_COUNT_LOG")
    # cargo's `--print` queries are named ___; rustc reading stdin is a probe, not a crate.
    if log and names and names[0] != "___" and "-" not in args:
        features = sorted(c for c in values(args, "--cfg") if c.startswith("feature="))
        metadata = [c for c in values(args, "-C") if c.startswith("metadata=")]
        line = "\t".join(
            [
                names[0],
                (values(args, "--target") or ["host"])[0],
                ",".join(values(args, "--crate-type")) or "-",
                hashlib.sha256(" ".join(features).encode()).hexdigest()[:8],
                (metadata or ["-"])[0],
                "dependency" if values(args, "--cap-lints") else "workspace",
            ]
        )
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "a") as out:
            out.write(line + "\n")
    real = os.environ["RUSTC_COUNT_NEXT"]
    os.execv(real, [real] + sys.argv[1:])


main()
