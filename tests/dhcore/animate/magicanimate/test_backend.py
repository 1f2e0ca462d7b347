"""The `magicanimate` backend: registration, params, DensePose input checks and spec validation."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from dhcore.animate.base import AnimateInputs
from dhcore.animate.magicanimate.backend import MagicAnimateBackend, MagicAnimateParams, densepose_stream
from dhcore.animate.registry import get_backend
from dhcore.errors import InputError
from dhcore.media.frames import FrameWriter
from dhcore.models import registry
from dhcore.pose.keypoints import PoseSequence
from dhcore.spec.loader import SpecError, load_spec


def _video(path: Path, frames: int, width: int, height: int) -> Path:
    rng = np.random.default_rng(frames)
    with FrameWriter(path, 24, width, height) as writer:
        writer.write(rng.integers(0, 255, (frames, height, width, 3), dtype=np.uint8))
    return path


def test_backend_is_registered_with_its_models_and_licences() -> None:
    backend = get_backend("magicanimate")
    assert isinstance(backend, MagicAnimateBackend)
    assert backend.model_ids(MagicAnimateParams()) == [
        "magicanimate",
        "stable_diffusion_v1_5",
        "sd_vae_ft_mse",
    ]
    assert registry.get("magicanimate").license.startswith("BSD-3-Clause")
    assert "OpenRAIL" in registry.get("stable_diffusion_v1_5").license
    p = MagicAnimateParams()
    assert (p.steps, p.guidance_scale, p.window, p.overlap) == (25, 7.5, 16, 4)  # the release's settings


def test_params_are_checked() -> None:
    with pytest.raises(ValidationError, match="overlap .* must be smaller than window"):
        MagicAnimateParams(window=8, overlap=8)
    with pytest.raises(ValidationError, match="less than or equal to 24"):
        MagicAnimateParams(window=32)  # the motion modules' tables have 24 rows
    with pytest.raises(ValidationError, match="Extra inputs"):
        MagicAnimateParams(windw=8)


def test_densepose_video_must_match_length_and_aspect(tmp_path: Path) -> None:
    good = _video(tmp_path / "dp.nut", 6, 48, 64)
    streams = densepose_stream(good, 6, 96, 128)
    assert streams.get(5)["densepose"].shape == (128, 96, 3)  # resized to the output size
    with pytest.raises(InputError, match=r"dp\.nut: the DensePose video has 6 frames, the driving motion 7"):
        densepose_stream(good, 7, 96, 128)
    with pytest.raises(
        InputError, match=r"dp\.nut: the DensePose video is 48x64, .* aspect ratio \(128x128\)"
    ):
        densepose_stream(good, 6, 128, 128)


def test_run_without_densepose_is_an_input_error(tmp_path: Path) -> None:
    pose = tmp_path / "pose.npz"
    PoseSequence.empty(3, 64, 64, 24.0).save(pose)
    inputs = AnimateInputs(tmp_path / "ref.png", pose, pose, None, 64, 64, Fraction(24))
    with pytest.raises(InputError, match="set animate.guidance.densepose"):
        MagicAnimateBackend().run(
            inputs, MagicAnimateParams(device="cpu"), tmp_path / "out.nut", lambda *a: None
        )


SPEC = """\
version: 1
kind: dance_video
subject: {{image: person.png}}
motion: {{type: keypoints, path: dance.npz}}
animate:
  backend: {backend}
{guidance}"""


def _spec(tmp_path: Path, backend: str, guidance: str = "") -> Path:
    from skimage import data

    cv2.imwrite(str(tmp_path / "person.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    dance = PoseSequence.empty(5, 80, 96, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)
    dance.save(tmp_path / "dance.npz")
    path = tmp_path / f"{backend}.yaml"
    path.write_text(SPEC.format(backend=backend, guidance=guidance))
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return [str(e) for e in info.value.issues]


def test_spec_needs_a_densepose_video_of_the_right_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    errors = _errors(_spec(tmp_path, "magicanimate"))
    assert any("magicanimate needs animate.guidance.densepose" in e for e in errors), errors
    _video(tmp_path / "dp.nut", 4, 96, 80)
    path = _spec(tmp_path, "magicanimate", "  guidance: {densepose: dp.nut}\n")
    errors = _errors(path)
    assert any(e.startswith(f"{path}:7:25: animate.guidance.densepose: ") and "has 4 frames, the driving motion 5" in e
               for e in errors), errors  # fmt: skip
    missing = [e for e in errors if "animate.backend: model 'magicanimate'" in e]
    assert missing and "dh models add magicanimate PATH" in missing[0]
    _video(tmp_path / "wide.nut", 5, 160, 80)
    errors = _errors(_spec(tmp_path, "magicanimate", "  guidance: {densepose: wide.nut}\n"))
    assert any("animate.guidance.densepose: " in e and "is 160x80, which does not have the output's aspect ratio (512x512)"
               in e for e in errors), errors  # fmt: skip
    assert not any("has 5 frames" in e for e in errors)
    champ = _spec(tmp_path, "champ", "  guidance: {densepose: dp.nut}\n")
    assert any("animate.guidance densepose is not read by champ" in e for e in _errors(champ))
