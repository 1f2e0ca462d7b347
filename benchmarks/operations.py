"""Benchmark of running dh as a service (issue 11's figures), against a real `prefect server`.

Prints, on this machine:
  1. Prefect's overhead per production with a running server: wall time of `dh run` minus the
     stages' own compute, as a share of that compute (target <= 5 %), for the 8-second demo;
  2. the asset store of that production before and after `dh gc` (intermediates pruned);
  3. (unless --skip-workers) six small demo productions submitted at once to one process worker,
     then to two: wall times and their ratio.

Each part uses its own DH_HOME and PREFECT_HOME under a temporary folder.
Usage: .venv/bin/python benchmarks/operations.py [--skip-workers] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
SMALL = """\
version: 1
kind: dance_video
name: bench-{n}
subject: {{image: assets/astronaut.png}}
motion: {{type: keypoints, path: assets/dance.pose.npz}}
animate: {{backend: warp, width: 256, height: 256}}
face: {{identity: {{enabled: false}}, restore: {{backend: none}}, refine: {{backend: none}}}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


@contextmanager
def prefect_server(home: Path):
    """A `prefect server` on a free port; yields the environment that points at it."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home / "prefect"), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false", "HF_HUB_OFFLINE": "1",
           "PREFECT_WORKER_QUERY_SECONDS": "2", "PYTHONPATH": str(REPO)}  # fmt: skip
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([PY, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _dh_run(spec: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`dh run --json`; a delivered production counts whether it passed its gates (0) or needs review (3)."""
    done = subprocess.run([PY, "-m", "dh.cli", "run", "--json", str(spec)], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode not in (0, 3):
        raise SystemExit(f"dh run exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done


def overhead_and_gc(work: Path, seconds: float) -> None:
    from dhcore.demo.assets import write_dance_assets

    write_dance_assets(work / "assets", seconds=seconds, video=False)
    spec = work / "dance.yaml"
    shutil.copyfile(REPO / "specs" / "examples" / "dance.yaml", spec)
    with prefect_server(work) as env:
        env = {**env, "DH_HOME": str(work / "home")}
        done = _dh_run(spec, env)
        t = json.loads(done.stdout)["timings"]
        # the same spec again: every stage is a cache hit, so its wall time is what orchestration costs a
        # production (flow and task runs, artifacts, catalog lookups) without the stages' compute
        again = _dh_run(spec, env)
        rerun = json.loads(again.stdout)["timings"]
        print(f"1. demo production ({seconds:g} s) with a running server: wall {t['wall_seconds']:.1f} s, "
              f"stage compute {t['stage_seconds']:.1f} s (sum; pose_pck overlaps assemble), "
              f"Prefect start-up {t['prefect_startup_seconds']:.1f} s")  # fmt: skip
        print(f"   all-cache-hit re-run: wall {rerun['wall_seconds']:.1f} s = "
              f"{100 * rerun['wall_seconds'] / t['stage_seconds']:.1f} % of the stage compute (orchestration cost "
              f"per production); start-up alone {100 * t['prefect_startup_seconds'] / t['stage_seconds']:.1f} %")  # fmt: skip
        store = work / "home" / "assets"
        before = _du(store)
        gc = json.loads(subprocess.run([PY, "-m", "dh.cli", "gc", "--json"], env=env, capture_output=True,
                                       text=True, check=True).stdout)  # fmt: skip
        after = _du(store)
        print(f"2. store for one {seconds:g}-second production: {before / 2**20:.1f} MiB before `dh gc`, "
              f"{after / 2**20:.1f} MiB after ({gc['pruned_assets']} intermediates pruned)")  # fmt: skip


def workers(work: Path, count: int) -> float:
    """Wall seconds for six small productions submitted at once to `count` process workers."""
    from dhcore.demo.assets import write_dance_assets

    write_dance_assets(work / "assets", seconds=2.0, video=False)
    specs = []
    for n in range(6):
        specs.append(work / f"bench_{n}.yaml")
        specs[-1].write_text(SMALL.format(n=n))
    with prefect_server(work) as env:
        env = {**env, "DH_HOME": str(work / "home"), "DH_ALLOWED_ROOTS": str(work)}
        subprocess.run([PY, "-m", "dh.cli", "pools", "create", "--pool", "dh-cpu", "--pool", "dh-gpu"], env=env,
                       cwd=REPO, check=True, capture_output=True)  # fmt: skip
        subprocess.run([PY, "-m", "prefect", "--no-prompt", "deploy", "--all"], env=env, cwd=REPO, check=True,
                       capture_output=True)  # fmt: skip
        procs = [subprocess.Popen([PY, "-m", "prefect", "worker", "start", "--pool", "dh-cpu", "--name", f"w{i}"],
                                  env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i in range(count)]  # fmt: skip
        try:
            time.sleep(10)  # workers polling
            started = time.monotonic()
            subprocess.run(
                [PY, "-m", "dh.cli", "submit", *map(str, specs)], env=env, check=True, capture_output=True
            )
            from dhcore.catalog.repo import Catalog

            catalog = Catalog(f"sqlite:///{work / 'home' / 'catalog.db'}")
            while True:
                rows = catalog.list_productions() if (work / "home" / "catalog.db").exists() else []
                if len(rows) == 6 and all(r["status"] != "running" for r in rows):
                    break
                time.sleep(2)
            wall = time.monotonic() - started
            print(f"   {count} worker(s): {wall:.0f} s, statuses {sorted(r['status'] for r in rows)}")
            return wall
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-workers", action="store_true", help="skip part 3 (the slowest)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of the demo in part 1 (default 8)")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} (1-min average, {os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="dh-bench-ops-") as tmp:
        overhead_and_gc(Path(tmp) / "demo", args.seconds)
        if not args.skip_workers:
            print("3. six small productions (2 s, 256x256) submitted at once:")
            one = workers(Path(tmp) / "one", 1)
            two = workers(Path(tmp) / "two", 2)
            print(f"   wall time ratio two workers / one: {two / one:.2f}")
    print(f"load: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
