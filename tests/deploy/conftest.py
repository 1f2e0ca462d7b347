"""A real `prefect server` on a free loopback port, and process workers, for the deployment tests.

Each server gets its own PREFECT_HOME (a fresh SQLite database) and runs with the scheduler
loop shortened so a schedule fires within seconds.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PrefectServer:
    api_url: str
    env: dict[str, str]
    logs: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    def run(self, argv: list[str], extra_env: dict[str, str] | None = None, timeout: float = 180) -> str:
        """Run a command against this server from the checkout; fails the test with its output."""
        done = subprocess.run(  # noqa: S603 - argv list
            argv, cwd=REPO, env={**self.env, **(extra_env or {})}, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (
            f"{argv} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        return done.stdout

    def start_worker(
        self, pool: str, name: str, extra_env: dict[str, str] | None = None, limit: int | None = None
    ) -> subprocess.Popen:
        log = open(self.logs / f"worker-{name}.log", "w")  # noqa: SIM115 - closed with the process
        cap = ["--limit", str(limit)] if limit else []
        proc = subprocess.Popen(  # noqa: S603 - argv list
            [*PREFECT, "worker", "start", "--pool", pool, "--name", name, "--type", "process", *cap],
            cwd=REPO, env={**self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def wait_for(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                tails = "\n".join(
                    f"--- {p.name}\n{p.read_text()[-2500:]}" for p in sorted(self.logs.glob("*.log"))
                )
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")
            time.sleep(1)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[PrefectServer]:
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    server_log = open(logs / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603 - argv list
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=server_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    handle = PrefectServer(api_url, env, logs, [server])
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (logs / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prefect server did not start in 120 s"
            time.sleep(0.5)
        yield handle
    finally:
        for proc in reversed(handle.procs):
            _stop(proc)
        server_log.close()
