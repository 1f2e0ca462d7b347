"""Prefect settings dh relies on, and the work pools its deployments run on.

A worker's flow runs take their dh settings (DH_HOME, DH_DATABASE_URL, DH_STORE_URL, ...) from
the work pool's job variables, not from whatever shell started the worker: `dh pools create`
writes them into the pools' base job template, so every host of a pool runs with the same ones.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from uuid import UUID

#: the work pools prefect.yaml deploys to
POOLS = ("dh-cpu", "dh-gpu")
#: the settings a worker's flow runs need, copied from the environment of `dh pools create`
WORKER_SETTINGS = (
    "DH_HOME", "DH_DATABASE_URL", "DH_STORE_URL", "DH_MODELS_DIR", "DH_ALLOWED_ROOTS", "DH_INBOX",
    "DH_FFMPEG", "HF_HUB_OFFLINE",
)  # fmt: skip
#: seconds `dh run` waits for Prefect's ephemeral API server (Prefect's default, 20 s, is too short
#: for a loaded machine: see issue 11)
EPHEMERAL_STARTUP_TIMEOUT = "180"


def configure() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    # ephemeral mode: a local SQLite-backed API started in-process when no PREFECT_API_URL is set
    os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "true")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP_TIMEOUT)


def uses_temporary_server() -> bool:
    """Whether flow runs here go to Prefect's temporary (ephemeral) server: no API URL is set."""
    from prefect.settings import get_current_settings

    return not get_current_settings().api.url


def settle_temporary_server(flow_run_id: UUID, task_runs: int, timeout: float = 15.0) -> bool:
    """Wait until Prefect's temporary server has recorded the final state of a flow run's task runs.

    Task-run states reach the server as events that its task-run recorder writes one at a time. On a
    busy machine it is seconds behind when a fast (cached) flow ends, and the process's exit stops the
    server mid-write: `Error flushing 1 events` with an asyncio.CancelledError traceback, and task runs
    left Running in Prefect's database. `task_runs` is how many the flow ran (at least); the wait ends
    when they are all final, when nothing changed for 3 s (nothing more is coming), or at `timeout`.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    only = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    deadline = time.monotonic() + timeout
    seen: list[tuple[str, str]] | None = None
    changed_at = time.monotonic()
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_task_runs(flow_run_filter=only)
            if len(runs) >= task_runs and all(r.state is not None and r.state.is_final() for r in runs):
                return True
            now = sorted((str(r.id), str(r.state_type)) for r in runs)
            if now != seen:
                seen, changed_at = now, time.monotonic()
            elif time.monotonic() - changed_at > 3.0:
                return False
            time.sleep(0.1)
    return False


def worker_env(checkout: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Job-variable env of a pool: DH_CHECKOUT (prefect.yaml's pull step) plus the DH_* settings set here."""
    env = {name: os.environ[name] for name in WORKER_SETTINGS if os.environ.get(name)}
    env["DH_CHECKOUT"] = str(checkout)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.update(extra or {})
    return env


def pool_template(env: dict[str, str], checkout: Path) -> dict[str, Any]:
    """Prefect's process-worker base job template with dh's env and working folder as defaults."""
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    props = template["variables"]["properties"]
    props["env"]["default"] = env
    props["working_dir"]["default"] = str(checkout)
    return template


def create_pools(env: dict[str, str], checkout: Path, names: tuple[str, ...] = POOLS) -> list[str]:
    """Create (or update) the process work pools; returns what was done, one line per pool."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    template = pool_template(env, checkout)
    done = []
    with get_client(sync_client=True) as client:
        for name in names:
            client.create_work_pool(
                WorkPoolCreate(name=name, type="process", base_job_template=template), overwrite=True
            )
            done.append(f"work pool {name}: process, working dir {checkout}, env {', '.join(sorted(env))}")
    return done
