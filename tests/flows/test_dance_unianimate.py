"""UniAnimate through the dance flow with a tiny random release (CPU): the spec names the backend,
the release files go through the real path (registry, .pth -> safetensors, strict keys)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dhcore.animate.unianimate.tiny import install_tiny
from dhcore.catalog.repo import Catalog
from dhcore.demo.dance import make_dance
from dhcore.media.frames import probe

SPEC = """\
version: 1
kind: dance_video
name: tiny-unianimate
subject: {image: assets/astronaut.png}
motion: {type: keypoints, path: short.pose.npz}
animate:
  backend: unianimate
  width: 64
  height: 128
  params: {architecture: tiny, steps: 2, window: 8, overlap: 2, device: cpu}
face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}
"""


@pytest.fixture
def tiny_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tmp_path / "models"
    torch.set_num_threads(threads)


def test_unianimate_runs_through_the_dance_flow(
    prefect_api: None, demo_assets: Path, tiny_models: Path, tmp_path: Path
) -> None:
    from flows.dance_video import dance_video

    make_dance(seconds=0.5, fps=24.0, width=512, height=512).save(demo_assets / "short.pose.npz")  # 12 frames
    install_tiny(tmp_path / "release")
    spec = demo_assets / "tiny-unianimate.yaml"
    spec.write_text(SPEC)
    state = dance_video(spec_path=str(spec), return_state=True)
    assert state.is_completed(), state.message
    info = Catalog().show_production(state.result()["production_id"])
    animate = next(s for s in info["stages"] if s["name"] == "animate.unianimate")
    assert animate["frames"] == 12 and animate["metrics"]["windows"] == 2  # 12 frames, windows of 8 by 2
    video = probe(info["outputs"]["video"]["path"])
    assert (video.width, video.height, video.frames, video.fps) == (64, 128, 12, 24)
    assert "| unianimate | **no** |" in _report(info)  # research-only weights are flagged in the report


def _report(info: dict) -> str:
    from dhcore.report import production_markdown

    return production_markdown(info)
