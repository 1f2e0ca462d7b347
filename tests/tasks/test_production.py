"""Production-level monitoring: one progress artifact per production, with stage, frames and ETA."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any


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

    from tasks.production import progress_for

    name = f"prog-{uuid.uuid4().hex[:6]}"
    seen: list[str] = []

    @flow
    def production() -> None:
        pid = uuid.uuid4().hex
        warp = progress_for(pid, "animate.warp", name)
        for done in (1, 2, 10):
            warp(done, 10)
        seen.append(_artifacts(f"dh-progress-{name}")[0].description)
        assemble = progress_for(pid, "assemble", name)
        assemble(3, 12)
        assemble(12, 12)

    production()
    found = _artifacts(f"dh-progress-{name}")
    assert len(found) == 1  # one per production, not one per stage
    assert seen == ["animate.warp: 10/10 frames"]
    assert found[0].description == "assemble: 12/12 frames" and found[0].data == 100.0


def test_progress_shows_an_eta_while_frames_remain(prefect_api: None) -> None:
    import time

    from prefect import flow

    from tasks.production import progress_for

    name = f"eta-{uuid.uuid4().hex[:6]}"

    @flow
    def production() -> None:
        report = progress_for(uuid.uuid4().hex, "face.refine", name)
        report(0, 40)
        time.sleep(0.6)
        report(10, 40)  # 10 frames in ~0.6 s: ~1.8 s to go

    production()
    [artifact] = _artifacts(f"dh-progress-{name}")
    assert artifact.description.startswith("face.refine: 10/40 frames, ETA ")
    assert artifact.data == 25.0
