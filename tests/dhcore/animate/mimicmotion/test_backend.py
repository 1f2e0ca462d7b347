"""The mimicmotion backend end to end on CPU with tiny random models installed in the download
layout (12 frames, 2 steps, windows of 8 overlapping by 2), its params and its error paths,
including the spec validator's checks of params and models."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pydantic import ValidationError

from dhcore.animate.base import AnimateInputs
from dhcore.animate.mimicmotion import backend as backend_module
from dhcore.animate.mimicmotion.backend import MimicMotionBackend, MimicMotionParams, release_cache
from dhcore.animate.mimicmotion.tiny import install_tiny
from dhcore.animate.registry import get_backend
from dhcore.errors import InputError, ModelError
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.pose.keypoints import PoseSequence
from dhcore.spec.loader import SpecError, load_spec

W, H, F = 128, 64, 12


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("mimicmotion_backend")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DH_MODELS_DIR", str(root / "models"))
        install_tiny(root / "download")
        rng = np.random.default_rng(0)
        cv2.imwrite(str(root / "ref.png"), rng.integers(0, 255, (90, 70, 3), dtype=np.uint8))
        PoseSequence.empty(F, W, H, 24.0).save(root / "target.npz")
        ref = PoseSequence.empty(1, 70, 90, 24.0)
        ref.body[0, :8] = (0.5, 0.5, 0.9)
        ref.body[0, 1] = (0.5, 0.3, 0.9)
        ref.save(root / "ref_pose.npz")
        with FrameWriter(root / "skeleton.nut", 24, W, H) as w:
            w.write(rng.integers(0, 255, (F, H, W, 3), dtype=np.uint8))
        yield root
    release_cache()


def inputs(root: Path, **changes) -> AnimateInputs:
    base = dict(
        reference_image=root / "ref.png",
        reference_pose=root / "ref_pose.npz",
        target_pose=root / "target.npz",
        skeleton=root / "skeleton.nut",
        width=W,
        height=H,
        fps=Fraction(24),
        seed=3,
    )
    return AnimateInputs(**{**base, **changes})


def tiny_params(**extra) -> MimicMotionParams:
    return MimicMotionParams(**{"steps": 2, "window": 8, "overlap": 2, "decode_chunk": 5, **extra})


def test_tiny_pipeline_runs_through_the_backend(workdir: Path) -> None:
    backend = get_backend("mimicmotion")
    seen: list[tuple[int, int | None]] = []
    out = workdir / "mm.nut"
    result = backend.run(inputs(workdir), tiny_params(), out, lambda d, t: seen.append((d, t)))
    info = probe(out)
    assert (info.width, info.height, info.frames) == (W, H, F)  # frame 0 (the reference pose) dropped
    frames = np.concatenate(list(iter_frames(out)))
    assert frames.shape == (F, H, W, 3) and frames.std() > 1
    # 13 internal frames, windows of 8 sharing frame 0 and one more: [0..7], [0, 7..12]
    assert result.frames == F and result.metrics["windows"] == 2 and result.metrics["unet_calls"] == 4
    assert seen[-1] == (4, 4) and all(d <= t for d, t in seen)
    assert not out.with_name(out.name + ".part").exists()


def test_same_seed_same_frames_other_seed_other_frames(workdir: Path) -> None:
    backend = MimicMotionBackend()
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        backend.run(
            inputs(workdir, seed=seed), tiny_params(), workdir / f"seed_{name}.nut", lambda d, t: None
        )
    a, b, c = (np.concatenate(list(iter_frames(workdir / f"seed_{n}.nut"))) for n in "abc")
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_params_defaults_model_ids_and_bad_values() -> None:
    p = MimicMotionParams()
    assert (p.steps, p.guidance_scale, p.window, p.overlap, p.anchor) == (25, 2.0, 72, 6, "first_window")
    assert p.sampler().min_guidance == p.sampler().max_guidance == 2.0
    ramp = MimicMotionParams(min_guidance_scale=1.0, guidance_scale=3.0).sampler()
    assert (ramp.min_guidance, ramp.max_guidance, ramp.cfg) == (1.0, 3.0, True)
    assert not MimicMotionParams(guidance_scale=1.0).sampler().cfg  # handled: no guidance
    assert MimicMotionBackend().model_ids(p) == p.model_ids() == ["mimicmotion", "svd_xt_1_1"]
    with pytest.raises(ValidationError, match="overlap"):
        MimicMotionParams(window=8, overlap=8)
    with pytest.raises(ValidationError, match="must not exceed guidance_scale"):
        MimicMotionParams(min_guidance_scale=3.0, guidance_scale=2.0)
    with pytest.raises(ValidationError):
        MimicMotionParams(overlap=0)
    with pytest.raises(ValidationError):
        MimicMotionParams(tile_size=8)
    cls = MimicMotionBackend
    assert (cls.name, cls.version, cls.device, cls.Params) == ("mimicmotion", "1", "auto", MimicMotionParams)


def test_missing_skeleton_and_short_skeleton_are_input_errors(workdir: Path) -> None:
    with pytest.raises(InputError, match="skeleton"):
        MimicMotionBackend().run(inputs(workdir, skeleton=None), tiny_params(), workdir / "x.nut", print)
    with FrameWriter(workdir / "short.nut", 24, W, H) as w:
        w.write(np.zeros((5, H, W, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="short.nut: has only 5 frames"):
        MimicMotionBackend().run(
            inputs(workdir, skeleton=workdir / "short.nut"), tiny_params(), workdir / "y.nut", print
        )
    assert not (workdir / "y.nut").exists() and not (workdir / "y.nut.part").exists()


def test_out_of_gpu_memory_names_the_setting(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(backend_module, "animate", oom)
    out = workdir / "oom.nut"
    with pytest.raises(InputError, match="lower animate.params.window"):
        MimicMotionBackend().run(inputs(workdir), tiny_params(), out, print)
    assert not out.exists() and not out.with_name(out.name + ".part").exists()


def test_missing_models_name_files_and_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "nothing"))
    release_cache()
    with pytest.raises(ModelError, match=r"MimicMotion_1-1.pth.*dh models add mimicmotion PATH"):
        MimicMotionBackend().run(inputs(workdir), tiny_params(), tmp_path / "o.nut", print)


SPEC = """\
version: 1
kind: dance_video
subject:
  image: person.png
motion:
  type: keypoints
  path: dance.npz
"""


def _spec(folder: Path, animate: str) -> Path:
    from skimage import data

    photo = cv2.resize(data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(folder / "person.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    dance = PoseSequence.empty(5, 80, 96, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)
    dance.save(folder / "dance.npz")
    path = folder / "spec.yaml"
    path.write_text(SPEC + animate)
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return [str(i) for i in info.value.issues]


def test_spec_validation_checks_params_and_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    unknown = _spec(tmp_path, "animate: {backend: mimicmotion, params: {steps: 0, tile_size: 3}}\n")
    errors = _errors(unknown)
    assert errors[0].startswith(f"{unknown}:8:"), errors
    assert "animate.params.steps: should be greater than or equal to 1" in errors[0]
    assert "animate.params.tile_size: unknown field 'tile_size'" in errors[1]
    ramp = _spec(tmp_path, "animate: {backend: mimicmotion, params: {min_guidance_scale: 4}}\n")
    (error,) = _errors(ramp)
    assert (
        error.startswith(f"{ramp}:8:") and "min_guidance_scale (4.0) must not exceed guidance_scale" in error
    )
    missing = _spec(tmp_path, "animate: {backend: mimicmotion}\n")
    errors = _errors(missing)
    assert all(e.startswith(f"{missing}:8:20: animate.backend: model '") for e in errors)
    assert any(
        "mimicmotion/MimicMotion_1-1.pth" in e and "dh models add mimicmotion PATH" in e for e in errors
    )
    assert any("svd_xt_1_1/vae/diffusion_pytorch_model.fp16.safetensors" in e for e in errors)


def test_spec_validation_of_the_identity_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    bad = _spec(tmp_path, "animate: {backend: mimicmotion, params: {identity: {encoder: arcface}}}\n")
    (error,) = _errors(bad)
    assert "animate.params.identity.encoder: should be 'stableanimator'" in error
    missing = _spec(
        tmp_path, "animate: {backend: mimicmotion, params: {identity: {encoder: stableanimator}}}\n"
    )
    errors = _errors(missing)
    assert any("stableanimator/unet.pth" in e and "dh models add stableanimator PATH" in e for e in errors)
    assert any("buffalo_l/w600k_r50.onnx" in e for e in errors)
    assert not any("MimicMotion_1-1.pth" in e for e in errors)  # StableAnimator's files replace MimicMotion's
