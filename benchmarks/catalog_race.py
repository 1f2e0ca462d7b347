"""Processes creating one new catalog at the same moment; prints failures (target: 0).

    PYTHONPATH=. .venv/bin/python benchmarks/catalog_race.py [--rounds 30] [--procs 2] [--url postgresql+psycopg://...]

Each round starts `--procs` processes against a fresh catalog (a new SQLite file, or a new
schema-less PostgreSQL database named by --url with {round} in it) released by one barrier
file, so their creation and migration overlap. Before the fix 4 of 30 pairs failed with
`table spec already exists`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import os, sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
from dhcore.catalog.repo import Catalog
Catalog(sys.argv[1]).record_spec(os.urandom(32).hex(), "dance_video", "race", "/r.yaml", "", {})
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--url", default="", help="a URL with {round}; default: a new SQLite file per round")
    ap.add_argument(
        "--code", type=Path, default=Path(__file__).resolve().parents[1], help="dh checkout to test"
    )
    args = ap.parse_args()
    repo = args.code
    env = {**os.environ, "PYTHONPATH": str(repo)}
    failures, errors = 0, set()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dh-race-") as tmp:
        for r in range(args.rounds):
            url = args.url.format(round=r) if args.url else f"sqlite:///{tmp}/{r}/catalog.db"
            go = Path(tmp) / f"go-{r}"
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", CHILD, url, str(go)],
                    env=env,
                    cwd=repo,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(args.procs)
            ]
            time.sleep(2.5)  # let every child import and wait at the barrier
            go.touch()
            for p in procs:
                _, err = p.communicate(timeout=300)
                if p.returncode:
                    failures += 1
                    errors.add(err.strip().splitlines()[-1][:200] if err.strip() else f"exit {p.returncode}")
    total = args.rounds * args.procs
    print(f"{args.rounds} rounds x {args.procs} processes creating one catalog: {failures} of {total} failed "
          f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    for e in sorted(errors):
        print(f"    {e}")


if __name__ == "__main__":
    main()
