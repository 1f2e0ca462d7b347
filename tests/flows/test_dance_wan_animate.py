"""Wan-Animate through the dance flow with a tiny random pipeline folder in the release layout (CPU).

The driving motion is a video: pose.extract finds the dancer's body and head in it, the animate
stage renders the skeleton, crops the driver's face from the video around those points and runs
diffusers' WanAnimatePipeline segment by segment; a second run is a cache hit in every stage.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dhcore.animate.wan_animate.tiny import install_tiny
from dhcore.catalog.repo import Catalog
from dhcore.demo.dance import make_dance, render_dance_video
from dhcore.media.frames import probe
from dhcore.spec.loader import load_spec

SPEC = """\
version: 1
kind: dance_video
name: tiny-wan-animate
subject: {image: assets/astronaut.png}
motion: {type: video, path: wan_dancer.mp4}
animate:
  backend: wan_animate
  width: 64
  height: 64
  params: {steps: 2, segment_frames: 9, prompt: a person dancing, device: cpu}
face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}
quality: {pose_pck: null, pose_pck_limbs: null, motion_follow: null, body_integrity: null, head_in_frame: null, body_in_frame: null}
"""


@pytest.fixture
def tiny_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tmp_path / "models"
    torch.set_num_threads(threads)


def _run(spec: Path) -> dict:
    from flows.dance_video import dance_video

    state = dance_video(spec_path=str(spec), return_state=True)
    assert state.is_completed(), state.message
    return Catalog().show_production(state.result()["production_id"])


def test_wan_animate_runs_through_the_dance_flow(
    prefect_api: None, demo_assets: Path, tiny_models: Path, tmp_path: Path
) -> None:
    render_dance_video(
        make_dance(seconds=0.5, fps=24.0, width=256, height=256), demo_assets / "wan_dancer.mp4"
    )
    install_tiny(tmp_path / "release")
    spec = demo_assets / "tiny-wan-animate.yaml"
    spec.write_text(SPEC)
    info = _run(spec)
    animate = next(s for s in info["stages"] if s["name"] == "animate.wan_animate")
    # 12 frames in segments of 9 sharing 1: [0..8], [8..11]
    assert (
        animate["status"] == "succeeded" and animate["frames"] == 12 and animate["metrics"]["segments"] == 2
    )
    video = probe(info["outputs"]["video"]["path"])
    assert (video.width, video.height, video.frames, video.fps) == (64, 64, 12, 24)
    roles = {a["role"] for a in info["inputs"]}
    assert "motion" in roles
    again = _run(spec)
    assert all(s["cache_hit"] for s in again["stages"])


def test_wan_animate_replace_mode_runs_through_the_dance_flow(
    prefect_api: None, demo_assets: Path, tiny_models: Path, tmp_path: Path
) -> None:
    """Replace mode: the poses stay where the driver is (align none), the driving frames are the background."""
    video = demo_assets / "wan_dancer.mp4"
    if not video.exists():
        render_dance_video(make_dance(seconds=0.5, fps=24.0, width=256, height=256), video)
    install_tiny(tmp_path / "release")
    spec = demo_assets / "tiny-wan-replace.yaml"
    spec.write_text(
        SPEC.replace("name: tiny-wan-animate", "name: tiny-wan-replace")
        .replace("device: cpu}", "device: cpu, mode: replace}")
        .replace("face: {", "pose: {align: {method: none}}\nface: {")
    )
    loaded = load_spec(spec).spec
    assert loaded.animate.params.mode == "replace" and loaded.pose.align.method == "none"
    info = _run(spec)
    animate = next(s for s in info["stages"] if s["name"] == "animate.wan_animate")
    assert (
        animate["status"] == "succeeded" and animate["frames"] == 12 and animate["metrics"]["segments"] == 2
    )
    video_info = probe(info["outputs"]["video"]["path"])
    assert (video_info.width, video_info.height, video_info.frames) == (64, 64, 12)
