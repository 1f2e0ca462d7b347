"""Benchmark of running dh as a service (issue 11's figures), against a real `prefect server`.

Prints, on this machine:
  1. Prefect's overhead per production with a running server (warmed up by one small production in
     another home), for the 8-second demo run by `dh run`:
     the flow run's wall time (from the call of the flow to its return) minus the time during which
     a stage was computing (the union of the step runs' compute intervals: evaluate.pose_pck overlaps
     assemble, so the plain sum would hide overhead), as a share of that stage compute (target <= 5 %);
     then the same spec again, every stage a cache hit (no stage computes: all of it is overhead).
     The `dh run` process's own start (imports, validation) and exit are shown apart.
  2. the asset store of that production before and after `dh gc` (intermediates pruned);
  3. (unless --skip-workers) six small demo productions submitted at once to one process worker,
     then to two (each running one production at a time): wall times, their ratio, and the CPU used.

Each part uses its own DH_HOME and PREFECT_HOME under a temporary folder.
Usage: .venv/bin/python benchmarks/operations.py [--skip-workers | --only-workers] [--seconds 8]
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
from datetime import UTC
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
animate: {{backend: warp, width: {size}, height: {size}}}
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
    """A `prefect server` on a free port; yields the environment that points at it, and its process."""
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
        yield env, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _dh_run(spec: Path, env: dict[str, str]) -> dict:
    """`dh run --json` (a delivered production counts whether it passed its gates or needs review),
    with the process's own start and end times added."""
    started = time.time()
    done = subprocess.run([PY, "-m", "dh.cli", "run", "--json", str(spec)], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode not in (0, 3):
        raise SystemExit(f"dh run exited {done.returncode}:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    result["process"] = {"started_at": started, "ended_at": time.time()}
    return result


def busy_seconds(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of (start, end) intervals: time during which at least one stage computed."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def gaps(intervals: list[tuple[float, float, str]], start: float, end: float) -> list[tuple[float, str]]:
    """(seconds, what came next) of each span in [start, end] during which no stage computed, longest first."""
    found, reach = [], start
    for a, b, stage in sorted(intervals):
        if a > reach:
            found.append((a - reach, f"before {stage}"))
        reach = max(reach, b)
    if end > reach:
        found.append((end - reach, "after the last stage (report, flow end)"))
    return sorted(found, reverse=True)


def compute_intervals(database_url: str, production_id: str) -> list[tuple[float, float, str]]:
    """(start, end) epoch seconds and stage of each step run that computed (cache hits compute nothing)."""
    from sqlalchemy import select

    from dhcore.catalog.db import session_scope
    from dhcore.catalog.models import StepRun

    with session_scope(database_url) as s:
        rows = s.execute(
            select(StepRun.finished_at, StepRun.seconds, StepRun.stage).where(
                StepRun.production_id == production_id,
                StepRun.cache_hit.is_(False),
                StepRun.seconds.is_not(None),
            )
        ).all()
    ends = [
        (f.replace(tzinfo=f.tzinfo or UTC).timestamp(), sec, stage) for f, sec, stage in rows
    ]  # SQLite: no zone
    return [(end - sec, end, stage) for end, sec, stage in ends]


def overhead(result: dict, database_url: str) -> dict[str, float]:
    """Where a production's time went: process start, flow run (stage compute + overhead), exit."""
    t, p = result["timings"], result["process"]
    intervals = compute_intervals(database_url, result["production_id"])
    flow = t["flow_returned_at"] - t["flow_called_at"]
    busy = busy_seconds([(a, b) for a, b, _ in intervals])
    return {
        "start": t["flow_called_at"] - p["started_at"], "flow": flow, "exit": p["ended_at"] - t["flow_returned_at"],
        "busy": busy, "sum": sum(b - a for a, b, _ in intervals), "overhead": flow - busy,
        "gaps": gaps(intervals, t["flow_called_at"], t["flow_returned_at"]),
        "prefect_start": t["prefect_startup_seconds"] or 0.0,
    }  # fmt: skip


def overhead_and_gc(work: Path, seconds: float) -> None:
    from dhcore.demo.assets import write_dance_assets

    write_dance_assets(work / "assets", seconds=seconds, video=False)
    spec = work / "dance.yaml"
    shutil.copyfile(REPO / "specs" / "examples" / "dance.yaml", spec)
    warmup = work / "warmup.yaml"  # the same stages at 128x128: other cache keys
    warmup.write_text(
        spec.read_text().replace("width: 512", "width: 128").replace("height: 512", "height: 128")
    )
    with prefect_server(work) as (env, _):
        env = {**env, "DH_HOME": str(work / "home")}
        database_url = f"sqlite:///{work / 'home' / 'catalog.db'}"
        # a studio's server has run flows before: one small production first (in a home of its own, so the
        # catalog and store below hold the demo alone), so the server's first-flow costs are not counted
        _dh_run(warmup, {**env, "DH_HOME": str(work / "warmup-home")})
        first = overhead(_dh_run(spec, env), database_url)
        # the same spec again: every stage is a cache hit, so its flow run is all orchestration (flow and
        # task runs, artifacts, catalog lookups, the report) and no stage compute
        again = overhead(_dh_run(spec, env), database_url)
        print(
            f"1. demo production ({seconds:g} s), `dh run` against a running server (after one warm-up production):"
        )
        print(f"   flow run {first['flow']:.2f} s = stage compute {first['busy']:.2f} s (union of the stages' "
              f"compute; their sum {first['sum']:.2f} s) + overhead {first['overhead']:.2f} s "
              f"= {100 * first['overhead'] / first['busy']:.1f} % of stage compute")  # fmt: skip
        print("   where it went: " + ", ".join(f"{sec:.2f} s {what}" for sec, what in first["gaps"][:5]))
        print(f"   (of the time before the first stage, {first['prefect_start']:.2f} s passed before the flow's first "
              "line: Prefect creating and starting the flow run)")  # fmt: skip
        print(f"   all-cache-hit re-run: flow run {again['flow']:.2f} s, stage compute {again['busy']:.2f} s: "
              f"overhead {again['overhead']:.2f} s = {100 * again['overhead'] / first['busy']:.1f} % of the "
              "first run's stage compute")  # fmt: skip
        for name, o in (("first run", first), ("re-run", again)):
            print(f"   `dh run` process, {name}: {o['start']:.2f} s before the flow run (imports, validation, "
                  f"catalog), {o['exit']:.2f} s after it (flushing logs and events, exit)")  # fmt: skip
        store = work / "home" / "assets"
        before = _du(store)
        gc = json.loads(subprocess.run([PY, "-m", "dh.cli", "gc", "--json"], env=env, capture_output=True,
                                       text=True, check=True).stdout)  # fmt: skip
        after = _du(store)
        print(f"2. store for one {seconds:g}-second production: {before / 2**20:.1f} MiB before `dh gc`, "
              f"{after / 2**20:.1f} MiB after ({gc['pruned_assets']} intermediates pruned)")  # fmt: skip


def _cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time of a process and of its children it has reaped (a worker's flow-run processes)."""
    import psutil

    t = psutil.Process(proc.pid).cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def workers(work: Path, count: int) -> float:
    """Wall seconds for six small productions submitted at once to `count` process workers that run one
    production at a time each (`--limit 1`: a worker per host or GPU); prints the CPU they used."""
    from dhcore.demo.assets import write_dance_assets

    write_dance_assets(work / "assets", seconds=2.0, video=False)
    specs = []
    for n in range(6):
        specs.append(work / f"bench_{n}.yaml")
        specs[-1].write_text(SMALL.format(n=n, size=192 + 16 * n))  # no two share a stage's cache key
    with prefect_server(work) as (env, server):
        env = {**env, "DH_HOME": str(work / "home"), "DH_ALLOWED_ROOTS": str(work)}
        subprocess.run([PY, "-m", "dh.cli", "pools", "create", "--pool", "dh-cpu", "--pool", "dh-gpu"], env=env,
                       cwd=REPO, check=True, capture_output=True)  # fmt: skip
        subprocess.run([PY, "-m", "prefect", "--no-prompt", "deploy", "--all"], env=env, cwd=REPO, check=True,
                       capture_output=True)  # fmt: skip
        procs = [subprocess.Popen([PY, "-m", "prefect", "worker", "start", "--pool", "dh-cpu", "--name", f"w{i}",
                                   "--limit", "1"], env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
                 for i in range(count)]  # fmt: skip
        try:
            time.sleep(10)  # workers polling
            cpu_before = sum(map(_cpu_seconds, [server, *procs]))
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
            time.sleep(3)  # the last flow-run process exits and is reaped
            cpu = sum(map(_cpu_seconds, [server, *procs])) - cpu_before
            print(f"   {count} worker(s): {wall:.0f} s, statuses {sorted(r['status'] for r in rows)}; server, "
                  f"workers and their flow runs used {cpu:.0f} CPU s = {cpu / wall:.2f} of {os.cpu_count()} cores "
                  f"(load {os.getloadavg()[0]:.1f})")  # fmt: skip
            return wall
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-workers", action="store_true", help="skip part 3 (the slowest)")
    parser.add_argument("--only-workers", action="store_true", help="run part 3 alone")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of the demo in part 1 (default 8)")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} (1-min average, {os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="dh-bench-ops-") as tmp:
        if not args.only_workers:
            overhead_and_gc(Path(tmp) / "demo", args.seconds)
        if not args.skip_workers:
            print("3. six small productions (2 s, 192x192 to 272x272: no shared stage) submitted at once:")
            one = workers(Path(tmp) / "one", 1)
            two = workers(Path(tmp) / "two", 2)
            print(f"   wall time ratio two workers / one: {two / one:.2f}")
    print(f"load: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
