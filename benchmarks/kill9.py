"""kill -9 at random points of real `dh run`s; prints lost assets, stuck rows and leftover scratch folders.

    PYTHONPATH=. .venv/bin/python benchmarks/kill9.py [--kills 50] [--seconds 1.5] [--seed 0]

Starts a `prefect server` (so each run costs seconds, not Prefect's ~20 s ephemeral start), writes
the demo's inputs (a --seconds dance), and then, per kill: varies the spec (animate seed, crf or
smoothing, so some stages recompute and others are cache hits), starts `dh run`, kills it with
SIGKILL at a random moment of a typical run, and checks what the next run must guarantee:
- lost: catalogued assets whose file is missing or whose sha256 differs (target 0);
- stuck: productions or step runs still `running` after the next run started (target 0);
- leftover: scratch folders of dead processes after the next run started (target 0);
- a final uninterrupted run succeeds and leaves no scratch folder.
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
output: {{crf: {crf}}}
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


def audit(home: Path) -> tuple[int, int, int]:
    """(lost assets, running rows, scratch folders) of the catalog and store in `home`."""
    from sqlalchemy import create_engine, text

    from dhcore.catalog.store import sha256_path

    engine = create_engine(f"sqlite:///{home / 'catalog.db'}")
    with engine.connect() as conn:
        assets = conn.execute(text("SELECT uri, sha256 FROM asset")).all()
        running = conn.execute(
            text("SELECT (SELECT count(*) FROM production WHERE status='running') + "
                 "(SELECT count(*) FROM step_run WHERE status='running')")
        ).scalar()  # fmt: skip
    engine.dispose()
    lost = 0
    for uri, digest in assets:
        path = Path(uri.removeprefix("file://"))
        if not path.exists() or sha256_path(path) != digest:
            lost += 1
    tmp = home / "assets" / "tmp"
    scratch = len(list(tmp.iterdir())) if tmp.is_dir() else 0
    return lost, int(running or 0), scratch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=1.5, help="length of the demo dance")
    ap.add_argument("--seed", type=int, default=0)
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
            totals = {"lost": 0, "stuck": 0, "leftover": 0, "rerun_failed": 0}
            for k in range(args.kills):
                spec.write_text(SPEC.format(
                    seed=rng.randrange(3), crf=rng.choice((18, 20, 22)), cutoff=rng.choice((1.0, 1.5)),
                ))  # fmt: skip
                proc = subprocess.Popen(
                    [*dh, str(spec)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                at = rng.uniform(0.5, full)
                time.sleep(at)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                # the next run: resumes, marks the dead run crashed, sweeps its scratch
                nxt = subprocess.run([*dh, str(spec)], env=env, capture_output=True, text=True, check=False)
                lost, stuck, leftover = audit(home)
                totals["lost"] += lost
                totals["stuck"] += stuck
                totals["leftover"] += leftover
                totals["rerun_failed"] += nxt.returncode != 0
                print(f"kill {k + 1:3d} at {at:5.1f} s: next run exit {nxt.returncode}; lost {lost}, "
                      f"running rows {stuck}, scratch folders {leftover}", flush=True)  # fmt: skip
            print(f"{args.kills} kills: {totals}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
