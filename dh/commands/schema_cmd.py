"""`dh schema`: regenerate (or check) the JSON Schemas in specs/schema/."""

from __future__ import annotations

import argparse
import sys

from dhcore.spec import schema


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="write the spec JSON Schemas into specs/schema/")
    p.add_argument("--check", action="store_true", help="exit 1 if the files are stale instead of writing")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.check:
        stale = [
            k
            for k in schema.KINDS
            if (schema.SCHEMA_DIR / f"{k}.schema.json").read_text() != schema.rendered(k)
        ]
        for kind in stale:
            print(f"specs/schema/{kind}.schema.json is stale: run `dh schema`", file=sys.stderr)
        return 1 if stale else 0
    for path in schema.write_all():
        print(path)
    return 0
