"""Installs a wheel into a fresh venv and runs what it installed.

Usage: python_smoke.py '{"wheel", "importName", "script", "version"}'. Installs offline without
dependencies, imports the package from the venv (when it has one) and runs the script it
installed: `--help` must succeed, and when the CLI has a `--version` (exit code 0) it must print
the release's version. The running interpreter's pip (>= 22.3) installs into the venv with
`--python`, which spares the seconds ensurepip takes. Standard library and pip only.
"""

import json
import os
import subprocess
import sys
import tempfile
import venv

# Only the venv may provide the package, whatever the caller's environment says.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}

IMPORT = "import importlib, sys; print(importlib.import_module(sys.argv[1]).__file__)"


def run(argv, what, cwd):
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=CLEAN_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"smoke test: {what} failed (exit code {result.returncode}):\n{result.stdout}")
    return result.stdout.strip()


def main():
    spec = json.loads(sys.argv[1])
    wheel = os.path.basename(spec["wheel"])
    with tempfile.TemporaryDirectory() as root:
        env_dir = os.path.realpath(os.path.join(root, "venv"))
        venv.create(env_dir, with_pip=False)
        python = os.path.join(env_dir, "bin", "python")
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                python,
                "install",
                "--no-index",
                "--no-deps",
                "--disable-pip-version-check",
                "--quiet",
                spec["wheel"],
            ],
            f"installing {wheel}",
            root,
        )
        print(f"installed {wheel}")

        if spec["importName"] is not None:
            module_file = run(
                [python, "-I", "-c", IMPORT, spec["importName"]],
                f"importing {spec['importName']}",
                root,
            )
            if not os.path.realpath(module_file).startswith(env_dir + os.sep):
                sys.exit(
                    f"smoke test: {spec['importName']} was imported from {module_file}, "
                    f"not from the venv the wheel was installed into"
                )
            print(f"imported {spec['importName']} from {module_file}")

        if spec["script"] is not None:
            script = os.path.join(env_dir, "bin", spec["script"])
            run([script, "--help"], f"{spec['script']} --help", root)
            print(f"{spec['script']} --help: ok")
            # The same policy as the binary check: a CLI without --version is not held to it.
            answer = subprocess.run(
                [script, "--version"],
                cwd=root,
                env=CLEAN_ENV,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            shown = answer.stdout.strip()
            if answer.returncode != 0:
                print(
                    f"{spec['script']} --version: exit code {answer.returncode}, the CLI has no "
                    f"--version, so the version is not checked"
                )
                return
            version = spec["version"]
            if version not in shown.split() and f"v{version}" not in shown.split():
                sys.exit(
                    f"smoke test: {spec['script']} --version printed {shown!r}, "
                    f"expected version {version}"
                )
            print(f"{spec['script']} --version: {shown}")


if __name__ == "__main__":
    main()
