"""What the CPU memory benchmarks of the animation backends share.

Each video length runs in a fresh process of the benchmark script (peak RSS is per process); the child
samples RSS at every progress call (once per denoiser call: RSS while generating) and prints one JSON
row; the parent compares the long run's peak with the short one's (target <= 1.1).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: the video lengths compared by default (frames)
LENGTHS = (48, 300)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lengths", type=int, nargs=2, default=LENGTHS, metavar=("SHORT", "LONG"),
                        help="the two video lengths compared, frames")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=int, help=argparse.SUPPRESS)


def measure(frames: int, run: Callable[[Callable[[int, int | None], None]], Any]) -> None:
    """Child side: `run(progress)` (a backend's run returning a StageResult), then one JSON row."""
    import psutil

    process = psutil.Process()
    during = [0.0]

    def progress(done: int, total: int | None) -> None:
        during[0] = max(during[0], process.memory_info().rss / 2**20)

    start = time.perf_counter()
    result = run(progress)
    wall = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": frames, "wall_s": wall, "rss_mb": rss_mb, "gen_rss_mb": during[0],
                      **result.metrics}))  # fmt: skip


def run_lengths(script: str, root: Path, lengths: tuple[int, ...], argv: list[str]) -> list[dict[str, Any]]:
    """Parent side: the script once per length as a child process; its rows."""
    rows = []
    for frames in lengths:
        cmd = [sys.executable, script, "--child", "--root", str(root), "--frames", str(frames), *argv]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout  # noqa: S603 - argv list
        rows.append(json.loads(out.strip().splitlines()[-1]))
    return rows


def print_ratio(rows: list[dict[str, Any]]) -> None:
    short, long = rows[0], rows[-1]
    print(f"peak RSS ratio {long['frames']} / {short['frames']} frames: {long['rss_mb'] / short['rss_mb']:.3f} "
          f"(target <= 1.1); while generating: {long['gen_rss_mb'] / short['gen_rss_mb']:.3f}")  # fmt: skip
