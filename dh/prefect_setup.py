"""Prefect settings dh relies on, and the work pools its deployments run on.

A worker's flow runs take their dh settings (DH_HOME, DH_DATABASE_URL, DH_STORE_URL, ...) from
the work pool's job variables, not from whatever shell started the worker: `dh pools create`
writes them into the pools' base job template, so every host of a pool runs with the same ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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
