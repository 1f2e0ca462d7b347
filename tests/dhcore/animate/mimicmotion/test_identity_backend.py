"""The identity option end to end on CPU: `identity: {encoder: stableanimator}` loads StableAnimator's
three files (tiny, random, download layout), embeds the reference face with an insightface pack
(tiny ONNX detector and recognizer) and conditions the UNet on [CLIP token; identity tokens]."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from dhcore.animate.base import AnimateInputs
from dhcore.animate.mimicmotion.backend import MimicMotionBackend, MimicMotionParams, release_cache
from dhcore.animate.mimicmotion.components import load_components
from dhcore.animate.mimicmotion.id_attention import IDAttnProcessor
from dhcore.animate.mimicmotion.identity import reference_embedding
from dhcore.animate.mimicmotion.pipeline import context_tokens
from dhcore.animate.mimicmotion.tiny import install_tiny_stableanimator, random_stableanimator_states
from dhcore.errors import InputError, ModelError
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.models import registry
from dhcore.pose.keypoints import PoseSequence
from tests.dhcore.face.face_helpers import tiny_arcface, tiny_scrfd

W, H, F = 64, 64, 6


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setitem(registry.REGISTRY, "buffalo_l", replace(registry.get("buffalo_l"), sha256={}))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    install_tiny_stableanimator(tmp_path / "download")
    pack = tmp_path / "buffalo_l"
    tiny_scrfd(pack / "det_10g.onnx")
    tiny_arcface(pack / "w600k_r50.onnx")
    registry.add("buffalo_l", pack)
    photo = np.zeros((320, 320, 3), np.uint8)
    photo[64:96, 128:160] = 255  # one bright stride-32 cell: the tiny detector's face
    cv2.imwrite(str(tmp_path / "ref.png"), photo)
    cv2.imwrite(str(tmp_path / "noface.png"), np.zeros((320, 320, 3), np.uint8))
    PoseSequence.empty(F, W, H, 24.0).save(tmp_path / "target.npz")
    PoseSequence.empty(1, 320, 320, 24.0).save(tmp_path / "ref_pose.npz")
    with FrameWriter(tmp_path / "skeleton.nut", 24, W, H) as w:
        w.write(np.random.default_rng(0).integers(0, 255, (F, H, W, 3), dtype=np.uint8))
    yield tmp_path
    torch.set_num_threads(threads)
    release_cache()


def _inputs(root: Path, photo: str = "ref.png") -> AnimateInputs:
    return AnimateInputs(
        reference_image=root / photo, reference_pose=root / "ref_pose.npz", target_pose=root / "target.npz",
        skeleton=root / "skeleton.nut", width=W, height=H, fps=Fraction(24), seed=1,
    )  # fmt: skip


PARAMS = dict(steps=2, window=4, overlap=1, identity={"encoder": "stableanimator"})


def test_identity_option_runs_with_identity_tokens(workdir: Path) -> None:
    params = MimicMotionParams(**PARAMS)
    backend = MimicMotionBackend()
    assert backend.model_ids(params) == params.model_ids() == ["stableanimator", "svd_xt_1_1", "buffalo_l"]
    result = backend.run(_inputs(workdir), params, workdir / "id.nut", lambda d, t: None)
    assert probe(workdir / "id.nut").frames == F and result.frames == F
    frames = np.concatenate(list(iter_frames(workdir / "id.nut")))
    assert frames.std() > 1

    parts = load_components(backend.ids(params))
    assert sum(isinstance(p, IDAttnProcessor) for p in parts.net.unet.attn_processors.values()) == 10
    face = reference_embedding(workdir / "ref.png", "buffalo_l")
    assert face.shape == (512,) and np.linalg.norm(face) > 1.5  # the raw recognizer output, not unit length
    image = np.zeros((H, W, 3), np.uint8)
    tokens = context_tokens(parts, image, face)
    assert tokens.shape == (1, 5, 64)  # the CLIP token, then 4 identity tokens
    other = context_tokens(parts, image, face * -1)
    assert torch.equal(tokens[:, :1], other[:, :1]) and not torch.allclose(tokens[:, 1:], other[:, 1:])


def test_identity_without_a_face_or_with_a_wrong_file_is_an_error(workdir: Path) -> None:
    params = MimicMotionParams(**PARAMS)
    with pytest.raises(InputError, match=r"noface.png: no face found; animate.params.identity"):
        MimicMotionBackend().run(_inputs(workdir, "noface.png"), params, workdir / "x.nut", print)
    states = random_stableanimator_states()
    states["unet.pth"] = {k.replace("processor.id_to_k", "id_to_k"): v for k, v in states["unet.pth"].items()}
    torch.save(states["unet.pth"], workdir / "download" / "stableanimator" / "unet.pth")
    registry.add("stableanimator", workdir / "download" / "stableanimator")
    release_cache()
    with pytest.raises(
        ModelError, match=r"stableanimator/unet.pth: .*10 missing key\(s\): .*attn2.processor.id_to_k"
    ):
        MimicMotionBackend().run(_inputs(workdir), params, workdir / "y.nut", print)
