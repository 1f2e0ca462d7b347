"""The `unianimate` backend end to end on CPU with tiny random models installed in the release
layout: 12 frames, 2 steps, windows of 8 overlapping by 2; its params, registration and errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pydantic import ValidationError

from dhcore.animate.base import AnimateInputs
from dhcore.animate.registry import get_backend
from dhcore.animate.unianimate.backend import UniAnimateBackend, UniAnimateParams, reference_skeleton
from dhcore.animate.unianimate.denoiser import PriorNoise
from dhcore.animate.unianimate.scheduler import UniAnimateDDIM
from dhcore.animate.unianimate.tiny import install_tiny
from dhcore.errors import InputError, ModelError
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.pool import POOL
from dhcore.pose.keypoints import PoseSequence

W, H, F = 64, 128, 12


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("unianimate_backend")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DH_MODELS_DIR", str(root / "models"))
        install_tiny(root / "download")
        rng = np.random.default_rng(0)
        cv2.imwrite(str(root / "ref.png"), rng.integers(0, 255, (90, 70, 3), dtype=np.uint8))
        PoseSequence.empty(F, W, H, 24.0).save(root / "target.npz")
        ref_pose = PoseSequence.empty(1, 70, 90, 24.0)
        ref_pose.body[0, :2] = ((0.5, 0.2, 0.9), (0.5, 0.4, 0.9))  # nose and neck
        ref_pose.save(root / "ref_pose.npz")
        with FrameWriter(root / "skeleton.nut", 24, W, H) as w:
            w.write(rng.integers(0, 255, (F, H, W, 3), dtype=np.uint8))
        yield root
    POOL.clear(slot="animate")


def inputs(root: Path, **changes) -> AnimateInputs:
    base = dict(reference_image=root / "ref.png", reference_pose=root / "ref_pose.npz",
                target_pose=root / "target.npz", skeleton=root / "skeleton.nut", width=W, height=H,
                fps=Fraction(24), seed=3)  # fmt: skip
    base.update(changes)
    return AnimateInputs(**base)


def tiny(**extra) -> UniAnimateParams:
    return UniAnimateParams(architecture="tiny", steps=2, window=8, overlap=2, **extra)


def test_tiny_pipeline_runs_through_the_backend(workdir: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    out = workdir / "out.nut"
    result = get_backend("unianimate").run(inputs(workdir), tiny(), out, lambda d, t: seen.append((d, t)))
    info = probe(out)
    assert (info.width, info.height, info.frames) == (W, H, F)
    frames = np.concatenate(list(iter_frames(out)))
    assert frames.shape == (F, H, W, 3) and frames.std() > 1
    assert result.frames == F and result.metrics["windows"] == 2 and result.metrics["unet_calls"] == 4
    assert seen[-1] == (4, 4)
    assert not out.with_name(out.name + ".part").exists()


def test_same_seed_same_frames_other_seed_other_frames(workdir: Path) -> None:
    backend = UniAnimateBackend()
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        backend.run(inputs(workdir, seed=seed), tiny(), workdir / f"seed_{name}.nut", lambda d, t: None)
    a, b, c = (np.concatenate(list(iter_frames(workdir / f"seed_{n}.nut"))) for n in "abc")
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_reference_skeleton_follows_the_photo_cover_fit(workdir: Path) -> None:
    skeleton = reference_skeleton(workdir / "ref_pose.npz", W, H)
    assert skeleton.shape == (H, W, 3)
    ys, xs = np.nonzero(skeleton.any(axis=-1))
    # the 70x90 photo is scaled to height 128 (x1.42) and cropped to width 64: x 0.5 stays the centre
    assert abs(xs.mean() - W / 2) < 3 and 0.2 * H < ys.mean() < 0.4 * H


def test_per_frame_noise_does_not_depend_on_the_length() -> None:
    ref = torch.randn(1, 4, 8, 4)
    ddim = UniAnimateDDIM(2)
    short, long = (PriorNoise(ref, ddim, seed=5, frames=n) for n in (10, 300))
    assert torch.equal(short(7), long(7)) and not torch.equal(short(7), short(8))
    x = long(0)
    ab = float(ddim.ab[939])
    assert abs(float((x - ab**0.5 * ref[0]).std()) - (1 - ab) ** 0.5) < 0.2  # mostly noise around the prior


def test_params_defaults_validation_and_model_ids() -> None:
    p = UniAnimateParams()
    assert (p.steps, p.guidance_scale, p.window, p.overlap, p.noise_prior) == (30, 2.5, 32, 8, 939)
    assert UniAnimateBackend().model_ids(p) == ["unianimate", "sd21_512_ema_pruned", "open_clip_vit_h_14"]
    with pytest.raises(ValidationError, match="overlap"):
        UniAnimateParams(window=8, overlap=8)
    with pytest.raises(ValidationError, match="999"):
        UniAnimateParams(steps=3)
    with pytest.raises(ValidationError):
        UniAnimateParams(windw=8)
    assert (
        UniAnimateBackend.name == "unianimate"
        and UniAnimateBackend.version
        and UniAnimateBackend.device == "auto"
    )


def test_size_skeleton_and_model_errors(
    workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = UniAnimateBackend()
    with pytest.raises(InputError, match="multiples of 64 .got 72x128.; use e.g. 64x128"):
        backend.run(inputs(workdir, width=72), tiny(), workdir / "x.nut", print)
    with pytest.raises(InputError, match="skeleton"):
        backend.run(inputs(workdir, skeleton=None), tiny(), workdir / "x.nut", print)
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "empty"))
    POOL.clear(slot="animate")
    with pytest.raises(
        ModelError, match="model 'unianimate' is not installed.*dh models add unianimate PATH"
    ):
        backend.run(inputs(workdir), tiny(), workdir / "x.nut", print)


def test_spec_validation_names_bad_params_missing_models_and_the_licence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhcore.spec.loader import SpecError, load_spec

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    cv2.imwrite(str(tmp_path / "p.png"), np.full((96, 80, 3), 128, np.uint8))
    dance = PoseSequence.empty(5, 80, 96, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)
    dance.save(tmp_path / "d.npz")
    head = "version: 1\nkind: dance_video\nsubject: {image: p.png}\nmotion: {type: keypoints, path: d.npz}\n"
    face = "face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}\n"

    def errors(body: str) -> list[str]:
        path = tmp_path / "s.yaml"
        path.write_text(head + face + body)
        with pytest.raises(SpecError) as info:
            load_spec(path)
        return [str(i) for i in info.value.issues]

    bad = errors("animate: {backend: unianimate, params: {steps: 3}}\n")
    assert any("animate.params.steps" in e and "999" in e for e in bad), bad
    missing = errors("animate: {backend: unianimate}\n")
    assert any("animate.backend: model 'unianimate' is not installed" in e for e in missing), missing
    assert any("model 'open_clip_vit_h_14' is not installed" in e for e in missing)
    commercial = errors("licence: commercial\nanimate: {backend: unianimate}\n")
    assert any(
        "animate.backend: model 'unianimate' is not licensed for commercial use" in e for e in commercial
    )


def test_torch_free_steps_check_matches_the_sampler_timesteps() -> None:
    from dhcore.animate.unianimate.scheduler import timesteps

    for steps in range(1, 501):
        try:
            UniAnimateParams(steps=steps)
            refused = False
        except ValidationError:
            refused = True
        assert refused == (timesteps(steps)[0] == 999), steps
