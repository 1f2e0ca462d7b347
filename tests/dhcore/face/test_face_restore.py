"""Stage face.restore: the classical restorer keeps identity; GFPGAN / CodeFormer paths run with tiny
ONNX models (real signatures) through alignment, pre/post-processing and paste-back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.errors import ModelError
from dhcore.face import restore
from dhcore.face.params import IdentityParams, RestoreParams, RestoreStageParams
from dhcore.models import registry
from tests.dhcore.face.face_helpers import moving, read_frames, tiny_restorer, write_frames


def _degrade(frame: np.ndarray) -> np.ndarray:
    """What animation does to a face: softer, with a colour cast."""
    soft = cv2.GaussianBlur(frame, (0, 0), 1.6).astype(np.float32)
    return np.clip(soft * np.array([1.12, 0.95, 0.85]) + 6, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def degraded(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    frames = np.stack([_degrade(f) for f in moving(astronaut, 8)] + [np.full((512, 512, 3), 40, np.uint8)])
    return write_frames(tmp_path_factory.mktemp("restore") / "degraded.nut", frames)


def test_classical_restore_keeps_identity_and_touches_only_the_face(
    degraded: Path, astronaut_path: Path, astronaut: np.ndarray, dlib_faces, tmp_path: Path
) -> None:
    result = restore.STAGE.call(
        tmp_path,
        RestoreStageParams(restore=RestoreParams(), identity=IdentityParams()),
        frames=degraded,
        reference=astronaut_path,
    )
    m = result.metrics
    assert m["face_restored_rate"] == pytest.approx(8 / 9)
    # identity similarity is not lowered: the restored faces are at least as close to the reference
    assert m["face_restore_distance_after"] <= m["face_restore_distance_before"] + 1e-3
    before, after = read_frames(degraded), read_frames(result.outputs["frames"].path)
    assert after.shape == before.shape and np.array_equal(after[8], before[8])  # no face: untouched
    ref_face = dlib_faces.detect(astronaut)[0]
    ref_colour = astronaut[
        int(ref_face.box[1]) : int(ref_face.box[3]), int(ref_face.box[0]) : int(ref_face.box[2])
    ]
    for b, a in zip(before[:8], after[:8], strict=True):
        face = dlib_faces.detect(b)[0]
        x0, y0, x1, y1 = face.box.astype(int)
        changed = np.argwhere(np.any(a != b, axis=2))
        assert len(changed) > 500
        pad = 0.6 * (x1 - x0)  # only the face outline (brows lifted to the hairline) changes
        assert changed[:, 1].min() >= x0 - pad and changed[:, 1].max() <= x1 + pad
        assert changed[:, 0].min() >= y0 - pad and changed[:, 0].max() <= y1 + pad
        # the colour cast moved towards the reference face's colours
        cast_b = np.abs(b[y0:y1, x0:x1].reshape(-1, 3).mean(0) - ref_colour.reshape(-1, 3).mean(0)).sum()
        cast_a = np.abs(a[y0:y1, x0:x1].reshape(-1, 3).mean(0) - ref_colour.reshape(-1, 3).mean(0)).sum()
        assert cast_a < cast_b
    report = json.loads(result.outputs["report"].path.read_text())
    assert report["backend"] == "classical" and report["identity_backend"] == "dlib"


@pytest.fixture
def short_clip(tmp_path: Path, astronaut: np.ndarray) -> Path:
    return write_frames(tmp_path / "clip.nut", moving(astronaut, 3))


def test_gfpgan_path_with_a_tiny_model(
    models_root: Path, short_clip: Path, astronaut_path: Path, dlib_faces, tmp_path: Path
) -> None:
    registry.add("gfpgan_1.4", tiny_restorer(tmp_path / "src" / "gfpgan_1.4.onnx"))
    result = restore.STAGE.call(tmp_path / 'out', RestoreStageParams(restore=RestoreParams(backend='gfpgan', strength=1.0), identity=IdentityParams()), frames=short_clip, reference=astronaut_path)  # fmt: skip
    before, after = read_frames(short_clip), read_frames(result.outputs["frames"].path)
    for b, a in zip(before, after, strict=True):
        face = dlib_faces.detect(b)[0]
        cx, cy = face.kps[2].astype(int)  # the tiny model negates: the nose region is inverted
        patch_b = b[cy - 3 : cy + 4, cx - 3 : cx + 4].astype(float).mean((0, 1))
        patch_a = a[cy - 3 : cy + 4, cx - 3 : cx + 4].astype(float).mean((0, 1))
        assert np.abs(patch_a - (255 - patch_b)).max() < 25
        assert np.array_equal(a[:, :60], b[:, :60]) and np.array_equal(a[-60:], b[-60:])  # outside the crop


def test_codeformer_feeds_the_fidelity_weight(
    models_root: Path, short_clip: Path, astronaut_path: Path, dlib_faces, tmp_path: Path
) -> None:
    registry.add("codeformer", tiny_restorer(tmp_path / "src" / "codeformer.onnx", codeformer=True))
    frame = read_frames(short_clip)[0]
    cx, cy = dlib_faces.detect(frame)[0].kps[2].astype(int)
    for fidelity, expect in ((0.0, np.full(3, 127.5)), (1.0, frame[cy, cx].astype(float))):
        params = RestoreParams(backend="codeformer", strength=1.0, fidelity=fidelity)
        out = read_frames(restore.STAGE.call(tmp_path / f'o{fidelity}', RestoreStageParams(restore=params, identity=IdentityParams()), frames=short_clip, reference=astronaut_path).outputs["frames"].path)[0]  # fmt: skip
        assert np.abs(out[cy, cx].astype(float) - expect).max() < 12  # x * weight in [-1, 1] space


def test_wrong_input_shape_names_the_file(
    models_root: Path, short_clip: Path, astronaut_path: Path, tmp_path: Path
) -> None:
    registry.add("gfpgan_1.4", tiny_restorer(tmp_path / "src" / "gfpgan_1.4.onnx", size=256))
    with pytest.raises(ModelError) as info:
        restore.STAGE.call(
            tmp_path / "out",
            RestoreStageParams(restore=RestoreParams(backend="gfpgan"), identity=IdentityParams()),
            frames=short_clip,
            reference=astronaut_path,
        )
    msg = str(info.value)
    assert str(models_root / "gfpgan_1.4" / "gfpgan_1.4.onnx") in msg
    assert "[1, 3, 256, 256]" in msg and "[1, 3, 512, 512]" in msg


def test_hash_mismatch_and_missing_model_name_the_file(
    models_root: Path, short_clip: Path, astronaut_path: Path, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="dh models add codeformer"):
        restore.STAGE.call(
            tmp_path / "a",
            RestoreStageParams(restore=RestoreParams(backend="codeformer"), identity=IdentityParams()),
            frames=short_clip,
            reference=astronaut_path,
        )
    folder = registry.add("gfpgan_1.4", tiny_restorer(tmp_path / "src" / "gfpgan_1.4.onnx"))
    target = folder / "gfpgan_1.4.onnx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: a corrupt download
    target.write_bytes(bytes(data))
    os.utime(target, ns=(1, 1))
    with pytest.raises(ModelError, match=rf"{target}.*corrupt or wrong file"):
        restore.STAGE.call(
            tmp_path / "b",
            RestoreStageParams(restore=RestoreParams(backend="gfpgan"), identity=IdentityParams()),
            frames=short_clip,
            reference=astronaut_path,
        )


def test_an_onnx_restorer_stays_warm_in_the_pool(tmp_path: Path, astronaut_path: Path) -> None:
    """Loaded once per pool (it does not depend on the reference); new weights load afresh."""
    from dhcore.face.faces import load_analyzer
    from dhcore.face.reference import reference_face
    from dhcore.face.restorers import ClassicalRestorer, load_restorer
    from dhcore.pool import ModelPool

    models_root, pool = tmp_path / "models", ModelPool()
    registry.add("gfpgan_1.4", tiny_restorer(tmp_path / "src" / "gfpgan_1.4.onnx"), models_root)
    ref = reference_face(astronaut_path, load_analyzer("dlib"))
    params = RestoreParams(backend="gfpgan", strength=1.0)
    first = load_restorer(params, ref, models_root, pool)
    assert load_restorer(params, ref, models_root, pool) is first and len(pool) == 1
    assert load_restorer(RestoreParams(backend="gfpgan", strength=0.5), ref, models_root, pool) is not first
    classical = load_restorer(RestoreParams(backend="classical"), ref, models_root, pool)
    assert isinstance(classical, ClassicalRestorer) and len(pool) == 2  # tied to the reference: not pooled


def test_a_head_only_photo_of_two_restores_the_chosen_persons_face_alone(
    two_heads: tuple[Path, Path, Path], dlib_faces
) -> None:
    """subject.person 1 of a photo cut off at the neck: its pose has no neck, yet the face stages take
    that person's face (Hopper, right), not the default one (Hanks, left), and leave the other alone."""
    photo, pose, clip = two_heads
    result = restore.STAGE.call(
        clip.parent / "restore",
        RestoreStageParams(restore=RestoreParams(strength=1.0), identity=IdentityParams()),
        frames=clip, reference=photo, reference_pose=pose, pose=clip.parent / "target.npz",
    )  # fmt: skip
    before, after = read_frames(clip), read_frames(result.outputs["frames"].path)
    assert result.metrics["face_restored_rate"] == 1.0
    assert np.array_equal(after[:, :, :370], before[:, :, :370])  # Hanks: untouched
    hopper = [f for f in dlib_faces.detect(before[0]) if f.box[0] > 370][0]
    x0, y0, x1, y1 = hopper.box.astype(int)
    assert np.abs(after[:, y0:y1, x0:x1].astype(int) - before[:, y0:y1, x0:x1]).mean() > 1.0
