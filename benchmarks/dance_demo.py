"""Benchmark of the demo dance production (issue 2's figures), end to end through `dh run`.

Prints, on this machine:
  1. the demo (8 s, 24 fps, 512x512): per-stage seconds, total stage compute, warp frames/s,
     Prefect's fixed start-up and wall time, all from `dh run --json`;
  2. the unchanged demo again: cache hits and the remaining stage work;
  3. only output.crf changed: which stages re-ran;
  4. peak RSS of a 60-second production vs the 8-second one (same spec, longer inputs).

Each production runs in a fresh `dh run` process with its own DH_HOME, against the ephemeral
Prefect API unless PREFECT_API_URL points at a server.
Usage: .venv/bin/python benchmarks/dance_demo.py [--skip-long]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
DH = str(Path(sys.executable).with_name("dh"))
SPEC = REPO / "specs" / "examples" / "dance.yaml"


def prepare(folder: Path, seconds: float) -> Path:
    from dhcore.demo.assets import write_dance_assets

    write_dance_assets(folder / "assets", seconds=seconds, video=False)
    spec = folder / "dance.yaml"
    shutil.copyfile(SPEC, spec)
    return spec


class PeakRss:
    """Samples the RSS of a process and its children every 20 ms: peak of the main process, of the tree."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.main = self.tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                main = self.proc.memory_info().rss
                tree = main + sum(c.memory_info().rss for c in self.proc.children(recursive=True))
            except psutil.Error:
                break
            self.main, self.tree = max(self.main, main), max(self.tree, tree)
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def dh_run(spec: Path, home: Path) -> tuple[dict, PeakRss]:
    env = {**os.environ, "DH_HOME": str(home)}
    proc = subprocess.Popen(
        [DH, "run", "--json", str(spec)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    rss = PeakRss(proc.pid)
    out, err = proc.communicate()
    rss.stop()
    if proc.returncode != 0:
        raise SystemExit(f"dh run failed ({proc.returncode}):\n{err[-3000:]}")
    return json.loads(out), rss


def show(title: str, result: dict) -> None:
    print(f"\n== {title}: {result['status']}")
    for s in result["stages"]:
        fps = f"{s['frames'] / s['seconds']:7.1f} frames/s" if s["seconds"] and s["frames"] > 1 else ""
        print(
            f"  {s['name']:<20} {'hit' if s['cache_hit'] else 'run':>4} {s['seconds']:7.2f} s {s['frames']:5d} frames {fps}"
        )
    t = result["timings"]
    print(
        f"  total stage compute {t['stage_seconds']:.2f} s | Prefect start-up {t['prefect_startup_seconds']:.2f} s"
        f" | wall {t['wall_seconds']:.2f} s | wall after start-up {t['wall_seconds'] - t['prefect_startup_seconds']:.2f} s"
    )
    m = result["metrics"]
    print("  metrics: " + ", ".join(f"{k}={m[k]:.3f}" for k in sorted(m)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-long", action="store_true", help="skip the 60-second production")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"Prefect API: {os.environ.get('PREFECT_API_URL') or 'ephemeral'}"
    )
    with tempfile.TemporaryDirectory(prefix="dh-bench-") as tmp:
        root = Path(tmp)
        spec = prepare(root / "demo8", 8.0)
        home = root / "home8"
        first, rss8 = dh_run(spec, home)
        show("demo, cold", first)
        warp = next(s for s in first["stages"] if s["name"] == "animate.warp")
        print(
            f"  warp animator: {warp['frames'] / warp['seconds']:.1f} frames/s including setup "
            f"({warp['metrics'].get('render_fps', 0):.1f} frames/s rendering, setup {warp['metrics'].get('setup_seconds', 0):.2f} s)"
        )

        again, _ = dh_run(spec, home)
        show("demo, unchanged re-run", again)
        hits = sum(s["cache_hit"] for s in again["stages"])
        print(
            f"  cache hits: {hits}/{len(again['stages'])}; stage work {again['timings']['stage_seconds']:.2f} s"
        )

        crf = spec.with_name("dance_crf.yaml")
        crf.write_text(spec.read_text().replace("crf: 18", "crf: 23"))
        changed, _ = dh_run(crf, home)
        show("demo, output.crf 18 -> 23", changed)
        print(f"  re-ran: {[s['name'] for s in changed['stages'] if not s['cache_hit']]}")

        print(
            f"\n  peak RSS, 8 s production: dh process {rss8.main / 2**20:.0f} MiB, process tree {rss8.tree / 2**20:.0f} MiB"
        )
        if not args.skip_long:
            spec60 = prepare(root / "demo60", 60.0)
            long, rss60 = dh_run(spec60, root / "home60")
            show("60-second production, cold", long)
            print(
                f"\n  peak RSS, 60 s production: dh process {rss60.main / 2**20:.0f} MiB, "
                f"process tree {rss60.tree / 2**20:.0f} MiB"
            )
            print(
                f"  ratio 60 s / 8 s: dh process {rss60.main / rss8.main:.3f}, tree {rss60.tree / rss8.tree:.3f}"
            )


if __name__ == "__main__":
    main()
