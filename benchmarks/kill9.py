"""kill -9 at random points of real `dh run`s; prints lost assets, stuck rows and leftover scratch folders.

    PYTHONPATH=. .venv/bin/python benchmarks/kill9.py [--kills 50] [--seconds 1.5] [--seed 0]

Starts a `prefect server` (so each run costs seconds, not Prefect's ~20 s ephemeral start), writes
the demo's inputs (a --seconds dance), and then, per kill: varies the spec (animate seed, crf or
smoothing, so some stages recompute and others are cache hits), starts `dh run`, kills it with
SIGKILL at a random moment of an uninterrupted run's length. Each run is also the "next run" of
the one killed before it; after each kill it checks (not counting the run just killed):
- lost: catalogued assets whose file is missing or whose sha256 differs (target 0);
- stuck: productions or step runs still `running` (target 0: the next run marks them crashed);
- leftover: scratch folders of dead processes (target 0: the next run removes them);
and every --complete-every kills, and at the end, a complete run must succeed and leave nothing.
Face stages are off to make each run short; the kill points cover pose, animation and assembly.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
version: 1
kind: dance_video
name: kill9
subject: {{image: assets/astronaut.png}}
motion: {{type: keypoints, path: assets/dance.pose.npz}}
pose: {{smoothing: {{min_cutoff: {cutoff}}}}}
animate: {{backend: warp, width: 256, height: 256, seed: {seed}}}
face: {{identity: {{enabled: false}}, restore: {{backend: none}}, refine: {{backend: none}}}}
output: {{crf: {crf}, audio: {{source: none}}}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    exe = str(Path(sys.executable).with_name("prefect"))
    server = subprocess.Popen(
        [exe, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    import urllib.request

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)  # noqa: S310 - loopback
            return server, {**env, "PREFECT_API_URL": url}
        except OSError:
            time.sleep(1)
    server.kill()
    raise SystemExit("prefect server did not start in 180 s")


def audit(home: Path, killed: int | None = None) -> tuple[int, int, int]:
    """(lost assets, running rows, scratch folders) in `home`, not counting the process `killed` just now.

    The rows and the scratch folder of the run killed last are the next run's to clean up.
    """
    from sqlalchemy import create_engine, text

    from dhcore.catalog.store import sha256_path

    engine = create_engine(f"sqlite:///{home / 'catalog.db'}")
    with engine.connect() as conn:
        assets = conn.execute(text("SELECT uri, sha256 FROM asset")).all()
        running = conn.execute(
            text("SELECT (SELECT count(*) FROM production WHERE status='running' AND pid != :p) + "
                 "(SELECT count(*) FROM step_run WHERE status='running' AND pid != :p)"), {"p": killed or -1},
        ).scalar()  # fmt: skip
    engine.dispose()
    lost = sum(1 for uri, digest in assets if not Path(uri).exists() or sha256_path(Path(uri)) != digest)
    tmp = home / "assets" / "tmp"
    scratch = [p for p in tmp.iterdir() if f"_{killed}_" not in p.name] if tmp.is_dir() else []
    return lost, int(running or 0), len(scratch)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=1.5, help="length of the demo dance")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--complete-every", type=int, default=5, help="a complete run after every N kills")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="dh-kill9-") as tmp:
        work = Path(tmp)
        home = work / "home"
        from dhcore.demo.assets import write_dance_assets

        write_dance_assets(work / "assets", seconds=args.seconds)
        server, env = start_server(work)
        env.update(DH_HOME=str(home), PYTHONPATH=str(repo), HF_HUB_OFFLINE="1")
        dh = [sys.executable, "-m", "dh.cli", "run"]
        spec = work / "kill9.yaml"
        try:
            spec.write_text(SPEC.format(seed=0, crf=18, cutoff=1.0))
            t0 = time.perf_counter()
            first = subprocess.run([*dh, str(spec)], env=env, capture_output=True, text=True, check=False)
            full = time.perf_counter() - t0
            print(
                f"uninterrupted run: exit {first.returncode} in {full:.1f} s (kills land in 0-{full:.1f} s)"
            )
            totals = {"lost": 0, "stuck": 0, "leftover": 0, "completed_runs_failed": 0}
            for k in range(args.kills):
                spec.write_text(SPEC.format(
                    seed=rng.randrange(3), crf=rng.choice((18, 20, 22)), cutoff=rng.choice((1.0, 1.5)),
                ))  # fmt: skip
                # this run also cleans up after the one killed before it: crashed rows, its scratch
                proc = subprocess.Popen(
                    [*dh, str(spec)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                at = rng.uniform(0.5, full)
                time.sleep(at)
                finished = proc.poll() is not None  # a run of mostly cache hits can end first
                if not finished:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                note = " (had finished)" if finished else ""
                if (k + 1) % args.complete_every == 0:
                    done = subprocess.run(
                        [*dh, str(spec)], env=env, capture_output=True, text=True, check=False
                    )
                    totals["completed_runs_failed"] += done.returncode != 0
                    note += f"; a complete run after it: exit {done.returncode}"
                    lost, stuck, leftover = audit(home)
                else:
                    lost, stuck, leftover = audit(home, killed=proc.pid)
                totals["lost"] += lost
                totals["stuck"] += stuck
                totals["leftover"] += leftover
                print(f"kill {k + 1:3d} at {at:5.1f} s{note}: lost {lost}, stuck rows {stuck}, "
                      f"leftover scratch folders {leftover}", flush=True)  # fmt: skip
            done = subprocess.run([*dh, str(spec)], env=env, capture_output=True, text=True, check=False)
            lost, stuck, leftover = audit(home)
            print(
                f"final run: exit {done.returncode}; lost {lost}, stuck rows {stuck}, scratch folders {leftover}"
            )
            print(f"{args.kills} kills: {totals}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
