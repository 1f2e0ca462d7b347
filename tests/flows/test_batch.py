"""The batch flow: runs inbox specs the catalog has not produced, skips the rest, reports invalid
ones once, retries failed ones a bounded number of times, ends failed when something failed, and
reconciles productions whose flow run ended without closing them."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

SPEC = """\
version: 1
kind: dance_video
name: inbox-{n}
subject: {{image: ../assets/{image}}}
motion: {{type: keypoints, path: ../assets/dance.pose.npz}}
animate: {{backend: warp, width: 192, height: 192}}
face: {{identity: {{enabled: false}}, restore: {{backend: none}}, refine: {{backend: none}}}}
# the line is under test here, not the animator's quality: no gates
quality: {{pose_pck: null, pose_pck_limbs: null, motion_follow: null, body_integrity: null,
          head_in_frame: null, body_in_frame: null, face_match_rate: null}}
"""


def _run(inbox: Path, **kwargs: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    return _run_state(inbox, **kwargs)[1:]


def _run_state(inbox: Path, **kwargs: Any) -> tuple[Any, str, dict[str, dict[str, Any]]]:
    from flows.batch import batch_inbox

    state = batch_inbox(str(inbox), return_state=True, **kwargs)
    results = state.result(raise_on_failure=False)
    return state, state.type.value, {Path(r["spec"]).name: r for r in results}


def _artifact_rows(key: str) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def latest() -> Any:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            return max(found, key=lambda a: a.created).data

    data = asyncio.run(latest())
    return json.loads(data) if isinstance(data, str) else data


def test_batch_runs_new_specs_reports_invalid_once_and_ends_failed_on_failure(
    prefect_api: None, demo_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DH_ALLOWED_ROOTS", str(demo_assets))
    inbox = demo_assets / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "a.yaml").write_text(SPEC.format(n=1, image="astronaut.png"))
    shutil.copyfile(inbox / "a.yaml", inbox / "a_copy.yaml")  # same normalized spec: same content hash
    (inbox / "broken.yaml").write_text("version: 1\nkind: dance_video\nsubject: {}\n")
    (inbox / "notes.txt").write_text("not a spec")

    state, first = _run(inbox)
    assert state == "FAILED"  # a new invalid spec turns the batch red
    assert set(first) == {"a.yaml", "a_copy.yaml", "broken.yaml"}
    assert first["a.yaml"]["status"] == "succeeded"
    assert first["a_copy.yaml"]["status"] == "skipped"  # identical normalized spec: produced already
    assert first["a_copy.yaml"]["production_id"] == first["a.yaml"]["production_id"]
    assert first["broken.yaml"]["status"] == "invalid" and "subject.image" in first["broken.yaml"]["error"]
    rows = {r["spec"]: r for r in _artifact_rows("dh-batch-inbox")}
    assert rows["a.yaml"]["status"] == "succeeded" and rows["a.yaml"]["output"].startswith("file://")
    assert rows["a.yaml"]["output"].endswith(".mp4") and "subject.image" in rows["broken.yaml"]["reason"]

    (inbox / "b.yaml").write_text(SPEC.format(n=2, image="astronaut.png"))
    state, second = _run(inbox)
    assert state == "COMPLETED"  # the invalid spec was reported already; nothing failed
    assert {k: v["status"] for k, v in second.items()} == {
        "a.yaml": "skipped", "a_copy.yaml": "skipped", "broken.yaml": "invalid (reported before)",
        "b.yaml": "succeeded",
    }  # fmt: skip

    # gates it cannot pass, enforced: the production ends failed every time (a photo without a person
    # would not do: `dh validate` refuses it, so it is reported as invalid instead)
    failing = SPEC.format(n=3, image="astronaut.png").replace(
        "quality: {pose_pck: null,", "quality: {enforce: fail, pose_pck: 1.0,"
    )
    assert "enforce: fail" in failing
    (inbox / "c.yaml").write_text(failing)
    statuses = []
    for _ in range(3):
        state, run = _run(inbox, max_attempts=2)
        statuses.append((state, run["c.yaml"]["status"]))
    assert statuses == [("FAILED", "failed"), ("FAILED", "failed"), ("COMPLETED", "gave up")]
    assert "quality gates" in _run(inbox, max_attempts=3)[1]["c.yaml"]["error"]  # a third try when allowed


def test_batch_reconciles_a_production_whose_flow_run_ended(
    prefect_api: None, demo_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhcore.catalog.repo import Catalog
    from dhcore.spec.loader import load_spec

    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DH_ALLOWED_ROOTS", str(demo_assets))
    inbox = demo_assets / "inbox2"
    inbox.mkdir(exist_ok=True)
    finished, _, _ = _run_state(inbox)  # an empty batch: a finished flow run to point at
    lost_spec = inbox / "lost.yaml"
    lost_spec.write_text(SPEC.format(n=4, image="astronaut.png"))
    loaded = load_spec(lost_spec)
    catalog = Catalog()
    spec_id = catalog.record_spec(loaded.sha256, loaded.kind, loaded.name, str(lost_spec), loaded.raw, {})
    # a production another host left `running`: its process is not ours, its flow run is over
    flow_run_id = str(finished.state_details.flow_run_id)
    lost = catalog.start_production(spec_id, loaded.name, flow_run_id)
    from dhcore.catalog.db import session_scope
    from dhcore.catalog.models import Production

    with session_scope() as s:
        s.get(Production, lost).host = "a-host-that-never-came-back"

    state, results = _run(inbox)
    after = catalog.show_production(lost)
    assert after["status"] == "crashed" and f"flow run {flow_run_id} ended COMPLETED" in after["error"]
    assert results["lost.yaml"]["status"] == "succeeded"  # the spec is no longer blocked
