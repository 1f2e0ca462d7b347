"""Entry point of the `dh` console script.

Exit codes: 0 success, 1 a production (or another operation) failed, 2 invalid input
(spec validation errors, bad arguments).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import sys

from dhcore.errors import DhError

#: command -> (module under dh.commands whose add_parser declares it, the help `dh --help` shows).
#: Only the command being run is imported: `dh validate` must not pay for Prefect, the catalog or the
#: demo generators (a test checks these help lines against the modules' own).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate_cmd", "check specs (schema, referenced files); exit 2 listing every error"),
    "run": ("run_cmd", "run specs locally as Prefect flow runs"),
    "submit": ("run_cmd", "submit specs to the Prefect deployments (needs a server and a worker)"),
    "catalog": ("catalog_cmd", "productions, assets, lineage and metrics in the catalog"),
    "gc": (
        "gc_cmd",
        "delete intermediate files of finished productions (keeps deliverables, inputs, lineage)",
    ),
    "models": ("models_cmd", "list, add and verify local model weights"),
    "demo": ("demo_cmd", "generate the demo inputs (photos, dance, beat) under specs/examples/assets"),
    "schema": ("schema_cmd", "write the spec JSON Schemas into specs/schema/"),
    "pools": ("pools_cmd", "create the Prefect work pools that prefect.yaml deploys to"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's full parser; with `command`, only that one's (the others are listed by name
    and help so `dh --help` still shows them all)."""
    parser = argparse.ArgumentParser(
        prog="dh", description="Declarative production line for 2D digital humans."
    )
    parser.add_argument(
        "--version", action="version", version=f"dh {_version()}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    declared: set[str] = set()
    for name, (module, help_line) in COMMANDS.items():
        if name in declared:
            continue
        if command is None or COMMANDS.get(command, ("",))[0] == module:
            before = set(sub.choices)
            importlib.import_module(f"dh.commands.{module}").add_parser(sub)
            declared |= set(sub.choices) - before
        else:
            sub.add_parser(name, help=help_line)
    return parser


def _command(argv: list[str]) -> str:
    """The subcommand named in `argv` ('' for none: `dh --help`, `dh --version`)."""
    return next((arg for arg in argv if not arg.startswith("-")), "")


def _version() -> str:
    try:
        return importlib.metadata.version("dh")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_command(argv)).parse_args(argv)
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
