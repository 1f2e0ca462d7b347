"""The wan_animate backend end to end on CPU: diffusers' WanAnimatePipeline loaded from a tiny
random folder in the release layout, segments chained across calls, frames streamed to a file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from dhcore.animate.base import AnimateInputs
from dhcore.animate.registry import get_backend
from dhcore.animate.wan_animate.params import WanAnimateParams
from dhcore.demo.dance import make_dance, render_dance_video
from dhcore.errors import InputError, ModelError
from dhcore.media.frames import iter_frames, probe
from dhcore.pose.keypoints import PoseSequence
from dhcore.spec.loader import SpecError, load_spec

from .conftest import F, H, W, write_inputs


def inputs(root: Path, frames: int = F, **changes) -> AnimateInputs:
    base = dict(
        reference_image=root / "ref.png", reference_pose=root / "ref_pose.npz",
        target_pose=root / f"target_{frames}.npz", skeleton=root / f"skeleton_{frames}.nut",
        width=W, height=H, fps=Fraction(24), seed=3,
        driving_video=root / f"driving_{frames}.nut", driving_pose=root / f"driving_{frames}.npz",
    )  # fmt: skip
    return AnimateInputs(**{**base, **changes})


def tiny_params(**extra) -> WanAnimateParams:
    return WanAnimateParams(
        **{"steps": 2, "segment_frames": 9, "prompt": "a person dancing", "device": "cpu", **extra}
    )


def test_tiny_pipeline_runs_through_the_backend(workdir: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    out = workdir / "wan.nut"
    result = get_backend("wan_animate").run(
        inputs(workdir), tiny_params(), out, lambda d, t: seen.append((d, t))
    )
    info = probe(out)
    assert (info.width, info.height, info.frames) == (W, H, F)
    frames = np.concatenate(list(iter_frames(out)))
    assert frames.shape == (F, H, W, 3) and frames.std() > 1
    # segments of 9 sharing 1 frame: [0..8], [8..11] (the last padded by the pipeline)
    assert result.metrics["segments"] == 2 and result.metrics["transformer_calls"] == 4
    assert result.metrics["max_live_frames"] == 9
    assert seen[-1] == (4, 4) and [d for d, _ in seen] == [1, 2, 3, 4]
    assert not out.with_name(out.name + ".part").exists()


def test_bad_inputs_are_input_errors(workdir: Path) -> None:
    backend = get_backend("wan_animate")
    out = workdir / "bad.nut"
    with pytest.raises(InputError, match=r"multiples of 16 \(height 40 -> 32 or 48\)"):
        backend.run(inputs(workdir, height=40), tiny_params(), out, lambda d, t: None)
    with pytest.raises(InputError, match="needs the driving video"):
        backend.run(inputs(workdir, driving_video=None), tiny_params(), out, lambda d, t: None)
    PoseSequence.empty(F + 3, W, H, 24.0).save(workdir / "long_target.npz")
    with pytest.raises(InputError, match=f"{F + 3} target frames for {F} driving frames"):
        backend.run(
            inputs(workdir, target_pose=workdir / "long_target.npz"), tiny_params(), out, lambda d, t: None
        )
    assert not out.exists() and not out.with_name(out.name + ".part").exists()


def test_missing_model_is_a_model_error_naming_the_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "empty"))
    write_inputs(tmp_path)
    with pytest.raises(ModelError, match="model 'wan_animate' is not installed") as err:
        get_backend("wan_animate").run(inputs(tmp_path), tiny_params(), tmp_path / "o.nut", lambda d, t: None)
    assert "transformer/diffusion_pytorch_model-00001-of-00015.safetensors" in str(err.value)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"segment_frames": 10},
            "10 is not 4n+1 (the Wan VAE packs 4 frames per latent after the first); use 9 or 13",
        ),
        ({"prev_frames": 3}, "Input should be 1 or 5"),
        ({"segment_frames": 9, "prev_frames": 5}, "prev_frames (5) leaves no new frames in segments of 9"),
        ({"guidance_scale": 0.5}, "greater than or equal to 1"),
        ({"steps": 0}, "greater than or equal to 1"),
        ({"window": 16}, "Extra inputs are not permitted"),
    ],
)
def test_bad_params_are_validation_errors(params: dict, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        WanAnimateParams(**params)
    assert message in str(err.value)


SPEC = """\
version: 1
kind: dance_video
subject: {image: person.png}
motion: {type: video, path: dancer.mp4}
face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}
"""


def _spec(folder: Path, rest: str, motion: str | None = None) -> Path:
    from skimage import data

    photo = cv2.resize(data.astronaut(), (128, 128), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(folder / "person.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    render_dance_video(make_dance(seconds=0.25, fps=24.0, width=96, height=96), folder / "dancer.mp4")
    make_dance(seconds=0.25, fps=24.0, width=96, height=96).save(folder / "dance.npz")
    text = SPEC if motion is None else SPEC.replace("{type: video, path: dancer.mp4}", motion)
    path = folder / "spec.yaml"
    path.write_text(text + rest)
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return [str(i) for i in info.value.issues]


def test_spec_validation_checks_params_motion_size_and_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    size = "animate: {backend: wan_animate, width: 64, height: 64, params: {segment_frames: 8}}\n"
    (error,) = _errors(_spec(tmp_path, size))
    assert error.startswith(f"{tmp_path / 'spec.yaml'}:6:") and "use 5 or 9" in error
    odd = _errors(_spec(tmp_path, "animate: {backend: wan_animate, width: 72, height: 64}\n"))
    assert any("wan_animate needs width and height in multiples of 16, not [72]" in e for e in odd)
    keypoints = _spec(
        tmp_path,
        "animate: {backend: wan_animate, width: 64, height: 64}\n",
        "{type: keypoints, path: dance.npz}",
    )
    assert any("reads the driver's face from the driving video" in e for e in _errors(keypoints))
    unset = _errors(_spec(tmp_path, "animate: {backend: wan_animate}\n"))
    assert any("needs animate.width and animate.height" in e for e in unset)
    replace = "animate: {backend: wan_animate, width: 64, height: 64, params: {mode: replace}}\n"
    assert any("needs pose.align.method none, not 'auto'" in e for e in _errors(_spec(tmp_path, replace)))
    aligned = _errors(_spec(tmp_path, replace + "pose: {align: {method: none}}\n"))
    assert not any("pose.align.method" in e for e in aligned)  # only the missing model is left
    commercial = _errors(
        _spec(tmp_path, "licence: commercial\nanimate: {backend: wan_animate, width: 64, height: 64}\n")
    )
    assert not any("commercial" in e for e in commercial)  # Apache-2.0: only the missing model is left
    missing = _spec(tmp_path, "animate: {backend: wan_animate, width: 64, height: 64}\n")
    errors = _errors(missing)
    assert any(
        e.startswith(f"{missing}:6:")
        and "model 'wan_animate' is not installed" in e
        and "dh models add wan_animate" in e
        for e in errors
    ), errors


def test_replace_mode_runs_with_the_driving_frames_as_background(workdir: Path) -> None:
    target = PoseSequence.empty(F, W, H, 24.0)
    target.body[:, :4] = [(0.3, 0.2, 0.9), (0.7, 0.2, 0.9), (0.7, 0.9, 0.9), (0.3, 0.9, 0.9)]
    target.save(workdir / "replace_target.npz")
    out = workdir / "replace.nut"
    params = tiny_params(mode="replace")
    result = get_backend("wan_animate").run(
        inputs(workdir, target_pose=workdir / "replace_target.npz"), params, out, lambda d, t: None
    )
    frames = np.concatenate(list(iter_frames(out)))
    assert frames.shape == (F, H, W, 3) and result.metrics["segments"] == 2
    animate = np.concatenate(list(iter_frames(workdir / "wan.nut")))  # the animate-mode run of this module
    assert np.abs(frames.astype(int) - animate).mean() > 1  # the background and mask change the result


def test_guidance_above_one_runs_the_negative_branch(workdir: Path) -> None:
    out = workdir / "cfg.nut"
    params = tiny_params(guidance_scale=3.0, negative_prompt="people")
    result = get_backend("wan_animate").run(inputs(workdir), params, out, lambda d, t: None)
    assert result.metrics["transformer_calls"] == 8  # 2 segments x 2 steps x (cond + uncond)
    guided = np.concatenate(list(iter_frames(out)))
    plain = np.concatenate(list(iter_frames(workdir / "wan.nut")))
    assert guided.shape == plain.shape and np.abs(guided.astype(int) - plain).mean() > 1
