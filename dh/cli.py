"""Entry point of the `dh` console script.

Exit codes: 0 success, 1 a production (or another operation) failed, 2 invalid input
(spec validation errors, bad arguments).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys

from dh.commands import (
    catalog_cmd,
    demo_cmd,
    gc_cmd,
    models_cmd,
    pools_cmd,
    run_cmd,
    schema_cmd,
    validate_cmd,
)
from dhcore.errors import DhError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dh", description="Declarative production line for 2D digital humans."
    )
    parser.add_argument(
        "--version", action="version", version=f"dh {_version()}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (validate_cmd, run_cmd, catalog_cmd, gc_cmd, models_cmd, demo_cmd, schema_cmd, pools_cmd):
        module.add_parser(sub)
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version("dh")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # inside the try: a reader that went away is handled below, not at exit
        return code
    except BrokenPipeError:
        # the reader went away (`dh catalog list | head`): stop quietly, like other command-line tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except DhError as exc:
        print(f"dh: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dh: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
