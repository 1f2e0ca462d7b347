"""`dh demo`: write the offline demo inputs next to the example specs."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="generate the demo inputs (photos, dance, beat) under specs/examples/assets")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    raise NotImplementedError
