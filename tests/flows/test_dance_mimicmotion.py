"""MimicMotion through the dance flow with tiny random models in the download layout (CPU).

The CPU default spec with `animate.backend: mimicmotion`: the files go through the real path
(registry, .pth -> safetensors, SVD's fp16 safetensors, strict keys), and a second run is a
cache hit in every stage.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dhcore.animate.mimicmotion.tiny import install_tiny
from dhcore.catalog.repo import Catalog
from dhcore.demo.dance import make_dance
from dhcore.media.frames import probe

SPEC = """\
version: 1
kind: dance_video
name: tiny-mimicmotion
subject: {image: assets/astronaut.png}
motion: {type: keypoints, path: mm_short.pose.npz}
animate:
  backend: mimicmotion
  width: 64
  height: 64
  params: {steps: 2, window: 8, overlap: 2, device: cpu}
face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}
"""


@pytest.fixture
def tiny_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is much faster than two on a busy machine
    yield tmp_path / "models"
    torch.set_num_threads(threads)


def _run(spec: Path) -> dict:
    from flows.dance_video import dance_video

    state = dance_video(spec_path=str(spec), return_state=True)
    assert state.is_completed(), state.message
    return Catalog().show_production(state.result()["production_id"])


def test_mimicmotion_runs_through_the_dance_flow(
    prefect_api: None, demo_assets: Path, tiny_models: Path, tmp_path: Path
) -> None:
    make_dance(seconds=0.5, fps=24.0, width=512, height=512).save(
        demo_assets / "mm_short.pose.npz"
    )  # 12 frames
    install_tiny(tmp_path / "release")
    spec = demo_assets / "tiny-mimicmotion.yaml"
    spec.write_text(SPEC)
    info = _run(spec)
    animate = next(s for s in info["stages"] if s["name"] == "animate.mimicmotion")
    # 13 internal frames (the reference pose first), windows of 8 sharing frame 0 and one more: 2
    assert animate["status"] == "succeeded" and animate["frames"] == 12 and animate["metrics"]["windows"] == 2
    video = probe(info["outputs"]["video"]["path"])
    assert (video.width, video.height, video.frames, video.fps) == (64, 64, 12, 24)

    again = _run(spec)
    assert all(s["cache_hit"] for s in again["stages"])
