"""`dh pools create`: the Prefect work pools of prefect.yaml, with the workers' dh settings."""

from __future__ import annotations

import argparse
from pathlib import Path

from dh.prefect_setup import POOLS, WORKER_SETTINGS, configure, create_pools, worker_env
from dhcore.errors import InputError

CHECKOUT = Path(__file__).resolve().parents[2]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pools", help="create the Prefect work pools that prefect.yaml deploys to")
    psub = p.add_subparsers(dest="pools_command", required=True)
    create = psub.add_parser(
        "create",
        help="create or update the process work pools (dh-cpu, dh-gpu) on the server in PREFECT_API_URL",
        description=(
            "Flow runs of a pool's workers get these settings as job variables: DH_CHECKOUT (where "
            f"prefect.yaml's pull step finds the code) and, when set in this shell, {', '.join(WORKER_SETTINGS)}."
        ),
    )
    create.add_argument(
        "--checkout", type=Path, default=CHECKOUT,
        help="the dh checkout on the worker hosts (default: this one, %(default)s)",
    )  # fmt: skip
    create.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE",
        help="another job-variable env entry (repeatable), e.g. DH_INBOX=/srv/dh/inbox",
    )  # fmt: skip
    create.add_argument(
        "--pool", action="append", choices=POOLS, help="only this pool (repeatable; default: all of them)"
    )
    create.set_defaults(handler=handle_create)


def handle_create(args: argparse.Namespace) -> int:
    extra = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--env {item!r}: expected NAME=VALUE")
        extra[name] = value
    checkout = args.checkout.expanduser().resolve()
    configure()
    for line in create_pools(worker_env(checkout, extra), checkout, tuple(args.pool or POOLS)):
        print(line)
    return 0
