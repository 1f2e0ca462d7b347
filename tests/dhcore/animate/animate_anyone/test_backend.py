"""The three backends end to end on CPU with tiny random models installed in the release layout:
12 frames, 2 steps, windows of 8 overlapping by 2; plus their error paths."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pydantic import ValidationError

from dhcore.animate.animate_anyone import backend as backend_module
from dhcore.animate.animate_anyone.backend import BACKENDS, release_cache
from dhcore.animate.animate_anyone.config import RELEASES
from dhcore.animate.animate_anyone.tiny import install_tiny
from dhcore.animate.base import AnimateInputs
from dhcore.errors import InputError, ModelError
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.pose.keypoints import PoseSequence

W, H, F = 128, 64, 12
RELEASE_OF = {"animate_anyone": "moore_aa", "musepose": "musepose", "champ": "champ"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("aa_backend")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DH_MODELS_DIR", str(root / "models"))
        for name, rel in RELEASE_OF.items():
            install_tiny(root / f"download_{name}", RELEASES[rel])
        rng = np.random.default_rng(0)
        cv2.imwrite(str(root / "ref.png"), rng.integers(0, 255, (90, 70, 3), dtype=np.uint8))
        PoseSequence.empty(F, W, H, 24.0).save(root / "target.npz")
        PoseSequence.empty(1, 70, 90, 24.0).save(root / "ref_pose.npz")
        for name in ("skeleton", "depth", "normal", "semantic_map"):
            with FrameWriter(root / f"{name}.nut", 24, W, H) as w:
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
        guidance={t: root / f"{t}.nut" for t in ("depth", "normal", "semantic_map")},
    )
    base.update(changes)
    return AnimateInputs(**base)


def tiny_params(name: str, **extra):
    return BACKENDS[name].Params(steps=2, window=8, overlap=2, **extra)


@pytest.mark.parametrize("name", ["animate_anyone", "musepose", "champ"])
def test_tiny_pipeline_runs_through_the_backend(workdir: Path, name: str) -> None:
    backend = BACKENDS[name]()
    seen: list[tuple[int, int | None]] = []
    out = workdir / f"{name}.nut"
    result = backend.run(inputs(workdir), tiny_params(name), out, lambda d, t: seen.append((d, t)))
    info = probe(out)
    assert (info.width, info.height, info.frames) == (W, H, F)
    frames = np.concatenate(list(iter_frames(out)))
    assert frames.shape == (F, H, W, 3) and frames.std() > 1
    assert result.frames == F and result.outputs["frames"].path == out
    assert result.metrics["windows"] == 2 and result.metrics["unet_calls"] == 4
    assert seen[-1] == (4, 4) and all(d <= t for d, t in seen)
    assert not out.with_name(out.name + ".part").exists()


def test_same_seed_same_frames_other_seed_other_frames(workdir: Path) -> None:
    backend = BACKENDS["animate_anyone"]()
    params = tiny_params("animate_anyone")
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        backend.run(inputs(workdir, seed=seed), params, workdir / f"seed_{name}.nut", lambda d, t: None)
    a, b, c = (np.concatenate(list(iter_frames(workdir / f"seed_{n}.nut"))) for n in "abc")
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_params_defaults_and_model_ids() -> None:
    moore, muse, champ = (BACKENDS[n].Params() for n in ("animate_anyone", "musepose", "champ"))
    assert (moore.window, moore.overlap, moore.steps, moore.guidance_scale) == (24, 4, 30, 3.5)
    assert (muse.window, muse.steps, muse.model) == (48, 20, "musepose")
    assert champ.guidance_types == ("depth", "normal", "semantic_map", "dwpose") and not champ.closed_loop
    assert BACKENDS["champ"]().model_ids(champ) == [
        "champ", "sd15_unet_config", "sd_vae_ft_mse", "sd_image_variations_image_encoder",
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="overlap"):
        BACKENDS["animate_anyone"].Params(window=8, overlap=8)
    with pytest.raises(ValidationError):
        BACKENDS["animate_anyone"].Params(window_size=8)
    for name, cls in BACKENDS.items():
        assert cls.name == name and cls.version and cls.device == "auto"


def test_size_not_multiple_of_8_suggests_sizes(workdir: Path) -> None:
    with pytest.raises(InputError, match=r"width 130 -> 128 or 136"):
        BACKENDS["musepose"]().run(
            inputs(workdir, width=130), tiny_params("musepose"), workdir / "x.nut", print
        )


def test_missing_skeleton_and_missing_guidance_are_input_errors(workdir: Path) -> None:
    with pytest.raises(InputError, match="skeleton"):
        BACKENDS["animate_anyone"]().run(
            inputs(workdir, skeleton=None), tiny_params("animate_anyone"), workdir / "x.nut", print
        )
    with pytest.raises(InputError, match="'normal' has no input frames"):
        BACKENDS["champ"]().run(
            inputs(workdir, guidance={"depth": workdir / "depth.nut"}),
            tiny_params("champ"),
            workdir / "x.nut",
            print,
        )
    # guidance types can be dropped: then depth + dwpose (the skeleton) are enough
    BACKENDS["champ"]().run(
        inputs(workdir, guidance={"depth": workdir / "depth.nut"}),
        tiny_params("champ", guidance_types=("depth", "dwpose")),
        workdir / "champ2.nut",
        lambda d, t: None,
    )
    assert probe(workdir / "champ2.nut").frames == F


def test_short_skeleton_names_the_file(workdir: Path) -> None:
    with FrameWriter(workdir / "short.nut", 24, W, H) as w:
        w.write(np.zeros((5, H, W, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="short.nut: has only 5 frames"):
        BACKENDS["animate_anyone"]().run(
            inputs(workdir, skeleton=workdir / "short.nut"),
            tiny_params("animate_anyone"),
            workdir / "y.nut",
            print,
        )
    assert not (workdir / "y.nut").exists() and not (workdir / "y.nut.part").exists()


def test_window_longer_than_the_motion_tables(workdir: Path) -> None:
    with pytest.raises(InputError, match="lower animate.params.window"):
        BACKENDS["animate_anyone"]().run(
            inputs(workdir),
            BACKENDS["animate_anyone"].Params(steps=1, window=40, overlap=2),
            workdir / "z.nut",
            print,
        )


def test_out_of_gpu_memory_names_the_setting(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(backend_module, "animate", oom)
    out = workdir / "oom.nut"
    with pytest.raises(InputError, match="window_batch"):
        BACKENDS["animate_anyone"]().run(inputs(workdir), tiny_params("animate_anyone"), out, print)
    assert not out.exists() and not out.with_name(out.name + ".part").exists()


def test_missing_models_name_files_and_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "nothing"))
    release_cache()
    with pytest.raises(ModelError, match=r"motion_module.pth.*dh models add musepose PATH"):
        BACKENDS["musepose"]().run(inputs(workdir), tiny_params("musepose"), tmp_path / "o.nut", print)
