"""`dh gc`: retention of the asset store (intermediates of finished productions)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta

from dhcore import config
from dhcore.catalog.gc import prune
from dhcore.catalog.repo import Catalog

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZES = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhdw])", text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number and a unit, e.g. 30m, 12h, 7d")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]])


def size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?", text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a size, e.g. 500M, 20G")
    return int(float(match[1]) * _SIZES[match[2]])


def human(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gc",
        help="delete intermediate files of finished productions (keeps deliverables, inputs, lineage)",
        description=(
            "Prune intermediates (frames, poses, ...) of finished productions: older than --older-than, then "
            "oldest first until they fit --budget; with neither, all of them. Rows stay (marked pruned); a "
            "pruned step is recomputed when a later production needs it."
        ),
    )
    p.add_argument(
        "--older-than", type=duration, metavar="AGE", help="only files older than this (30m, 12h, 7d)"
    )
    p.add_argument(
        "--budget", type=size, metavar="SIZE", help="keep at most this much of intermediates (20G)"
    )
    p.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    catalog = Catalog()
    catalog.mark_crashed()
    report = prune(catalog.store, config.database_url(), args.older_than, args.budget, args.dry_run)
    if args.json:
        print(json.dumps({"dry_run": args.dry_run, "pruned_assets": report.pruned, "freed_bytes": report.freed_bytes,
                          "kept_intermediate_bytes": report.kept_bytes}))  # fmt: skip
        return 0
    done = "would be pruned, freeing" if args.dry_run else "pruned, freed"
    print(f"{report.pruned} intermediate asset(s) {done} {human(report.freed_bytes)}; "
          f"{human(report.kept_bytes)} of intermediates kept")  # fmt: skip
    return 0
