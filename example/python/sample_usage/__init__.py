"""Sum token usage records per model; a Python front end to the Rust CLI."""

import sys

from ._native import run as _run
from ._native import version as _version

__version__ = _version()
__all__ = ["__version__", "main"]


def main() -> None:
    """Entry point of the ``sample-usage`` console script."""
    sys.exit(_run(sys.argv))
