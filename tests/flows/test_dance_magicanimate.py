"""MagicAnimate through the dance flow, with tiny random model folders (CPU, seconds).

The spec names the DensePose video (`animate.guidance.densepose`); the flow registers it as an
input asset (role `guidance_densepose`) and the backend reads it frame by frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.animate.magicanimate.tiny import install_tiny
from dhcore.catalog.repo import Catalog
from dhcore.demo.dance import make_dance
from dhcore.media.frames import FrameWriter, probe

SPEC = """\
version: 1
kind: dance_video
name: tiny-magicanimate
subject: {image: assets/astronaut.png}
motion: {type: keypoints, path: short.pose.npz}
animate:
  backend: magicanimate
  width: 64
  height: 64
  guidance: {densepose: densepose.nut}
  params: {steps: 2, window: 8, overlap: 2, device: cpu}
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


def test_magicanimate_runs_through_the_dance_flow(
    prefect_api: None, demo_assets: Path, tiny_models: Path, tmp_path: Path
) -> None:
    from flows.dance_video import dance_video

    install_tiny(tmp_path / "download")
    make_dance(seconds=0.5, fps=24.0, width=512, height=512).save(demo_assets / "short.pose.npz")  # 12 frames
    with FrameWriter(demo_assets / "densepose.nut", 24, 48, 48) as writer:
        writer.write(np.random.default_rng(0).integers(0, 255, (12, 48, 48, 3), dtype=np.uint8))
    spec = demo_assets / "tiny-magicanimate.yaml"
    spec.write_text(SPEC)

    state = dance_video(spec_path=str(spec), return_state=True)
    assert state.is_completed(), state.message
    info = Catalog().show_production(state.result()["production_id"])
    animate = next(s for s in info["stages"] if s["name"] == "animate.magicanimate")
    assert animate["status"] == "succeeded" and animate["frames"] == 12
    assert animate["metrics"]["windows"] == 2 and animate["metrics"]["appearance_encoder_calls"] == 2
    assert "guidance_densepose" in {a["role"] for a in info["inputs"]}
    video = probe(info["outputs"]["video"]["path"])
    assert (video.width, video.height, video.frames, video.fps) == (64, 64, 12, 24)
