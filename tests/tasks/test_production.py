"""Production-level monitoring: one progress artifact per production, with stage, frames and ETA."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest


def _artifacts(key: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read() -> list[Any]:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )

    return asyncio.run(read())


def test_one_progress_artifact_per_production_shows_stage_frames_and_eta(prefect_api: None) -> None:
    from prefect import flow

    from tasks.production import flush_progress, progress_for

    name = f"prog-{uuid.uuid4().hex[:6]}"
    seen: list[str] = []

    @flow
    def production() -> None:
        pid = uuid.uuid4().hex
        warp = progress_for(pid, "animate.warp", name)
        for done in (1, 2, 10):
            warp(done, 10)
        flush_progress()  # updates are sent from a background thread
        seen.append(_artifacts(f"dh-progress-{name}")[0].description)
        assemble = progress_for(pid, "assemble", name)
        assemble(3, 12)
        assemble(12, 12)
        flush_progress()

    production()
    found = _artifacts(f"dh-progress-{name}")
    assert len(found) == 1  # one per production, not one per stage
    assert seen == ["animate.warp: 10/10 frames"]
    assert found[0].description == "assemble: 12/12 frames" and found[0].data == 100.0


def test_progress_shows_an_eta_while_frames_remain(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from prefect import flow

    from tasks import production as module
    from tasks.production import flush_progress, progress_for

    monkeypatch.setattr(module, "PROGRESS_EVERY", 0.5)
    name = f"eta-{uuid.uuid4().hex[:6]}"

    @flow
    def production() -> None:
        report = progress_for(uuid.uuid4().hex, "face.refine", name)
        report(0, 40)
        time.sleep(0.6)
        report(10, 40)  # 10 frames in ~0.6 s: ~1.8 s to go
        flush_progress()

    production()
    [artifact] = _artifacts(f"dh-progress-{name}")
    assert artifact.description.startswith("face.refine: 10/40 frames, ETA ")
    assert artifact.data == 25.0


def test_a_slow_server_does_not_slow_the_stage_that_reports_progress(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The frame loop hands updates over; a background thread waits on the API (latest value wins)."""
    import threading
    import time

    from prefect import flow

    from tasks import production as module
    from tasks.production import flush_progress, progress_for

    monkeypatch.setattr(module, "PROGRESS_EVERY", 0.0)
    real, sent, release = module.send_progress, [], threading.Event()

    def slow_update(client: Any, artifact_id: Any, pct: float, description: str) -> None:
        release.wait(10)  # a server that does not answer until the stage is done
        sent.append(description)
        real(client, artifact_id, pct, description)

    monkeypatch.setattr(module, "send_progress", slow_update)
    name = f"slow-{uuid.uuid4().hex[:6]}"

    @flow
    def production() -> float:
        report = progress_for(uuid.uuid4().hex, "animate.warp", name)
        started = time.perf_counter()
        for done in range(1, 51):
            report(done, 50)
        spent = time.perf_counter() - started
        release.set()
        flush_progress()
        return spent

    assert production() < 1.0  # 49 updates behind a stalled server did not block the loop
    assert sent[-1] == "animate.warp: 50/50 frames" and len(sent) < 49  # coalesced, the last one sent
    [artifact] = _artifacts(f"dh-progress-{name}")
    assert artifact.description == "animate.warp: 50/50 frames"


def test_the_contact_sheet_is_made_when_the_video_exists_and_matches_the_reports(tmp_path) -> None:
    import cv2
    import numpy as np

    from dhcore.catalog.repo import AssetRef
    from dhcore.plan import Ref
    from dhcore.report import contact_sheet_jpeg
    from dhcore.runner import StepOutcome
    from tasks.production import ContactSheetAhead

    video = tmp_path / "out.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 12, (64, 48))
    for i in range(12):
        writer.write(np.full((48, 64, 3), i * 20, np.uint8))
    writer.release()
    ref = AssetRef(1, "video", str(video), "0" * 64, video.stat().st_size, {})
    outcome = StepOutcome(stage="assemble", step_run_id=1, cache_key="k", cache_hit=False, seconds=1.0,
                          frames=12, outputs={"video": ref}, metrics={})  # fmt: skip

    sheet = ContactSheetAhead({"video": Ref("assemble", "video"), "side_by_side": Ref("extras", "video")})
    sheet.step_done("animate", outcome)  # another step: nothing starts
    assert sheet.result() is None
    sheet.step_done("assemble", outcome)
    made = sheet.result()
    assert made is not None and made == contact_sheet_jpeg({"outputs": {"video": {"path": str(video)}}})
    assert cv2.imdecode(np.frombuffer(made, np.uint8), cv2.IMREAD_COLOR).shape[1] == 4 * 64  # four tiles

    assert (
        ContactSheetAhead({"image": Ref("deliver", "image")}).result() is None
    )  # no video: the report makes it


def test_the_report_and_its_stage_table_belong_to_the_flow_run(prefect_api: None, tmp_path) -> None:
    from prefect import flow
    from prefect.context import FlowRunContext

    from tasks.production import publish_report

    name = f"report-{uuid.uuid4().hex[:6]}"
    stage = {"name": "assemble", "status": "succeeded", "cache_hit": False, "seconds": 1.25, "frames": 12,
             "cache_key": "c" * 64, "params": {}}  # fmt: skip
    info = {"name": name, "production_id": "p-1", "status": "succeeded", "outputs": {}, "inputs": [],
            "stages": [stage], "metrics": {"pose_pck": 0.9}}  # fmt: skip

    @flow
    def production() -> str:
        publish_report(info)  # the stage table is sent from another thread
        return str(FlowRunContext.get().flow_run.id)

    run_id = production()
    [report] = _artifacts(f"dh-report-{name}")
    [table] = _artifacts(f"dh-stages-{name}")
    assert str(report.flow_run_id) == run_id and str(table.flow_run_id) == run_id
    assert "| assemble | succeeded | run | 1.25 | 12 |" in report.data
    assert "assemble" in table.data and "1.25" in table.data
