"""Schedules fire: prefect.yaml deployed to a real server, the batch deployment's scheduled runs
created by Prefect's scheduler and executed by a real process worker (issue 11); the same worker
runs a spec `dh submit` sent from another working folder, home and store mount point."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dhcore.catalog.repo import Catalog

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


SUBMITTED = """\
version: 1
kind: dance_video
name: submitted-from-elsewhere
subject: {image: photo.png}
motion: {type: keypoints, path: motion/dance.pose.npz}
animate: {backend: warp, width: 128, height: 128}
face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}
quality: {pose_pck: null, pose_pck_limbs: null, motion_follow: null, body_integrity: null,
          head_in_frame: null, body_in_frame: null, face_match_rate: null}
"""


def _submit_from_elsewhere(prefect_server, demo_assets: Path, tmp_path: Path) -> None:
    """`dh submit` on "another host": its own home and working folder, the shared store at another path;
    the spec and its inputs are deleted there afterwards, so the worker can only use what was sent."""
    alice = tmp_path / "alice"
    (alice / "motion").mkdir(parents=True)
    shutil.copyfile(demo_assets / "assets" / "astronaut.png", alice / "photo.png")
    shutil.copyfile(demo_assets / "assets" / "dance.pose.npz", alice / "motion" / "dance.pose.npz")
    (alice / "dance.yaml").write_text(SUBMITTED)
    (tmp_path / "mnt").mkdir()
    (tmp_path / "mnt" / "dh-store").symlink_to(tmp_path / "store")  # the shared store, mounted elsewhere
    env = {
        **prefect_server.env,
        "DH_HOME": str(alice / "home"),
        "DH_STORE_URL": str(tmp_path / "mnt" / "dh-store"),
    }
    done = subprocess.run([sys.executable, "-m", "dh.cli", "submit", "dance.yaml"], cwd=alice, env=env,
                          capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert done.returncode == 0 and "submitted flow run" in done.stdout, done.stderr[-3000:]
    shutil.rmtree(alice)


def test_scheduled_batch_runs_are_created_and_executed(
    prefect_server, demo_assets: Path, tmp_path: Path
) -> None:
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
    settings = {
        "DH_HOME": str(home),
        "DH_INBOX": str(tmp_path / "inbox"),
        "DH_STORE_URL": str(tmp_path / "store"),
    }
    out = prefect_server.run([sys.executable, "-m", "dh.cli", "pools", "create"], settings)
    assert "work pool dh-cpu" in out and "work pool dh-gpu" in out
    prefect_server.run([sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all",
                        "--prefect-file", str(test_yaml)])  # fmt: skip
    _submit_from_elsewhere(prefect_server, demo_assets, tmp_path)
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

    # the submitted spec ran in the worker's home, from what `dh submit` sent (its folder is gone)
    catalog = Catalog(f"sqlite:///{home / 'catalog.db'}")

    def submitted_done() -> bool:
        return any(r["status"] != "running" for r in catalog.list_productions())

    prefect_server.wait_for(submitted_done, 300, "the submitted production to finish")
    [row] = catalog.list_productions()
    assert (row["name"], row["status"]) == ("submitted-from-elsewhere", "succeeded"), row
    info = catalog.show_production(row["production_id"])
    assert info["spec"]["source_path"].endswith(
        str(tmp_path / "alice" / "dance.yaml")
    )  # the user's file, named
    assert all(str(home / "submissions") in i["source"] for i in info["inputs"])
