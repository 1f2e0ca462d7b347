"""`dh validate SPEC...`: check specs without running anything."""

from __future__ import annotations

import argparse
import sys

from dhcore.spec.loader import LoadedSpec, SpecError, load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check specs (schema, referenced files); exit 2 listing every error")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    p.set_defaults(handler=handle)


def load_all(paths: list[str]) -> tuple[list[LoadedSpec], list[SpecError]]:
    loaded, errors = [], []
    for path in paths:
        try:
            loaded.append(load_spec(path))
        except SpecError as exc:
            errors.append(exc)
    return loaded, errors


def handle(args: argparse.Namespace) -> int:
    loaded, errors = load_all(args.specs)
    for err in errors:
        print(err, file=sys.stderr)
    for spec in loaded:
        for warning in spec.warnings:
            print(f"{spec.path}: warning: {warning}", file=sys.stderr)
        print(f"{spec.path}: ok ({spec.kind} '{spec.name}', spec sha256 {spec.sha256[:12]})")
    if errors:
        count = sum(len(e.issues) for e in errors)
        print(f"dh: {count} error(s) in {len(errors)} spec(s)", file=sys.stderr)
        return 2
    return 0
