"""Schedules fire: prefect.yaml deployed to a real server, the batch deployment's scheduled runs
created by Prefect's scheduler and executed by a real process worker (issue 11)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _batch_runs(api_url: str) -> list[tuple[str, str]]:
    """(state type, name) of every flow run of the batch-inbox deployment."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def query() -> list[tuple[str, str]]:
        with temporary_settings({PREFECT_API_URL: api_url}):
            async with get_client() as client:
                runs = await client.read_flow_runs(
                    deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["batch-inbox"]))
                )
        return [(r.state.type.value if r.state else "NONE", r.name) for r in runs]

    return asyncio.run(query())


def test_scheduled_batch_runs_are_created_and_executed(prefect_server, tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    batch = next(d for d in config["deployments"] if d["name"] == "batch-inbox")
    assert batch["schedules"][0]["interval"] == 600  # the real schedule; shortened below for the test
    batch["schedules"][0]["interval"] = 15
    # the real batch deployment runs one at a time; with a 15 s schedule on a loaded machine the queue
    # of slot-waiting runs only slows the test down, and the slot is Prefect's feature, not ours
    batch.pop("concurrency_limit")
    test_yaml = tmp_path / "prefect.yaml"
    test_yaml.write_text(yaml.safe_dump(config))

    home = tmp_path / "dh_home"
    settings = {"DH_HOME": str(home), "DH_INBOX": str(tmp_path / "inbox")}
    out = prefect_server.run([sys.executable, "-m", "dh.cli", "pools", "create"], settings)
    assert "work pool dh-cpu" in out and "work pool dh-gpu" in out
    prefect_server.run([sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all",
                        "--prefect-file", str(test_yaml)])  # fmt: skip
    # the worker's shell has no DH_* settings: they must come from the pool's job variables
    prefect_server.start_worker("dh-cpu", "cpu-1", {"DH_HOME": "/nonexistent-shell-setting"})

    def two_completed() -> bool:
        return sum(state == "COMPLETED" for state, _ in _batch_runs(prefect_server.api_url)) >= 2

    prefect_server.wait_for(two_completed, 300, "two scheduled batch runs to complete")
    runs = _batch_runs(prefect_server.api_url)
    assert not [r for r in runs if r[0] in ("FAILED", "CRASHED")], runs
    assert (tmp_path / "inbox").is_dir()  # created by the batch on the worker, from DH_INBOX of the pool
    assert (home / "catalog.db").is_file()  # the batch reconciled the catalog in the pool's DH_HOME
    done = [name for state, name in runs if state == "COMPLETED"]
    assert all(name.startswith("batch-inbox-") for name in done), runs  # named after the inbox and time
