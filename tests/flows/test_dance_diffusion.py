"""The diffusion backends through the dance flow, with tiny random release folders (CPU, seconds).

The same spec as the CPU default, one field changed (`animate.backend`), runs the Animate Anyone
family; the release files go through the real path (registry, .pth -> safetensors, strict keys).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.animate.animate_anyone.config import RELEASES
from dhcore.animate.animate_anyone.tiny import install_tiny
from dhcore.catalog.db import session_scope
from dhcore.catalog.models import StepRun
from dhcore.catalog.repo import Catalog
from dhcore.demo.dance import make_dance
from dhcore.media.frames import FrameWriter, probe

SPEC = """\
version: 1
kind: dance_video
name: {name}
subject: {{image: assets/astronaut.png}}
motion: {{type: keypoints, path: short.pose.npz}}
animate:
  backend: {backend}
  width: 64
  height: 64
  params: {{steps: 2, window: 8, overlap: 2, device: cpu}}
{guidance}face: {{identity: {{enabled: false}}, restore: {{backend: none}}, refine: {{backend: none}}}}
"""


@pytest.fixture
def tiny_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is ~10x faster than two on a busy machine
    yield tmp_path / "models"
    torch.set_num_threads(threads)


def _write(folder: Path, name: str, backend: str, guidance: str = "") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, backend=backend, guidance=guidance))
    return path


def _run(spec: Path) -> dict:
    from flows.dance_video import dance_video

    state = dance_video(spec_path=str(spec), return_state=True)
    assert state.is_completed(), state.message
    return Catalog().show_production(state.result()["production_id"])


@pytest.fixture(scope="module")
def short_motion(demo_assets: Path) -> Path:
    make_dance(seconds=0.5, fps=24.0, width=512, height=512).save(demo_assets / "short.pose.npz")  # 12 frames
    return demo_assets


def test_animate_anyone_runs_through_the_dance_flow(
    prefect_api: None, short_motion: Path, tiny_models: Path, tmp_path: Path
) -> None:
    install_tiny(tmp_path / "release", RELEASES["moore_aa"])
    info = _run(_write(short_motion, "tiny-aa", "animate_anyone"))
    animate = next(s for s in info["stages"] if s["name"] == "animate.animate_anyone")
    assert animate["frames"] == 12 and animate["metrics"]["windows"] == 2  # 12 frames, windows of 8 by 2
    video = probe(info["outputs"]["video"]["path"])
    assert (video.width, video.height, video.frames, video.fps) == (64, 64, 12, 24)

    again = _run(_write(short_motion, "tiny-aa", "animate_anyone"))
    assert all(s["cache_hit"] for s in again["stages"])


def test_champ_reads_user_guidance_videos(
    prefect_api: None, short_motion: Path, tiny_models: Path, tmp_path: Path
) -> None:
    install_tiny(tmp_path / "release", RELEASES["champ"])
    rng = np.random.default_rng(0)
    lines = ""
    for kind in ("depth", "normal", "semantic_map"):
        with FrameWriter(short_motion / f"{kind}.nut", 24, 48, 48) as writer:
            writer.write(rng.integers(0, 255, (12, 48, 48, 3), dtype=np.uint8))
        lines += f"    {kind}: {kind}.nut\n"
    spec = _write(short_motion, "tiny-champ", "champ", "")
    spec.write_text(spec.read_text().replace("  params:", "  guidance:\n" + lines + "  params:"))
    info = _run(spec)
    animate = next(s for s in info["stages"] if s["name"] == "animate.champ")
    assert animate["status"] == "succeeded" and animate["frames"] == 12
    assert {a["role"] for a in info["inputs"]} >= {
        "guidance_depth",
        "guidance_normal",
        "guidance_semantic_map",
    }


@pytest.mark.postgres
def test_multi_model_stage_on_postgres(
    prefect_api: None, short_motion: Path, tiny_models: Path, tmp_path: Path, postgres_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Four models feed animate.animate_anyone: their digest must fit the catalog's varchar(64)."""
    monkeypatch.setenv("DH_DATABASE_URL", postgres_database)
    install_tiny(tmp_path / "release", RELEASES["moore_aa"])
    info = _run(_write(short_motion, "tiny-aa-pg", "animate_anyone"))
    animate = next(s for s in info["stages"] if s["name"] == "animate.animate_anyone")
    assert animate["status"] == "succeeded"
    with session_scope(postgres_database) as s:
        assert len(s.get(StepRun, animate["step_run_id"]).weights_sha256) == 64
