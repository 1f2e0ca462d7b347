"""Stage face.refine: Grace Hopper's identity put onto the astronaut and onto the six faces of t1.jpg
(embedded landmark_swap), the inswapper path with tiny ONNX models, and the bad-input rules."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.errors import ModelError
from dhcore.face import refine
from dhcore.face.faces import box_iou
from dhcore.face.insightface_backend import ArcFaceEmbedder
from dhcore.face.params import (
    IdentityParams,
    RefineParams,
    RefineStageParams,
    RestoreParams,
    RestoreStageParams,
)
from dhcore.face.reference import reference_face
from dhcore.face.swap import LandmarkSwapper
from dhcore.models import registry
from tests.dhcore.face.face_helpers import (
    moving,
    read_frames,
    tiny_arcface,
    tiny_inswapper,
    tiny_restorer,
    tiny_scrfd,
    write_frames,
)

THRESHOLD = 0.6  # dlib's same-person distance


@pytest.fixture(scope="module")
def hopper(dlib_faces, hopper_path):
    return reference_face(hopper_path, dlib_faces)


def _distance_after(dlib_faces, image: np.ndarray, box: np.ndarray, reference: np.ndarray) -> float:
    found = [f for f in dlib_faces.detect(image) if box_iou(f.box, box) > 0.3]
    assert found, "the refined face is still detected as a face"
    return dlib_faces.distance(dlib_faces.embed(image, found[0]), reference)


def test_hopper_onto_the_astronaut(dlib_faces, hopper, astronaut: np.ndarray) -> None:
    face = dlib_faces.detect(astronaut)[0]
    assert dlib_faces.distance(dlib_faces.embed(astronaut, face), hopper.embedding) > THRESHOLD
    for blend in ("seamless", "feather"):
        result = LandmarkSwapper(hopper, 0.5, blend)(astronaut, face.landmarks)
        assert _distance_after(dlib_faces, result.image, face.box, hopper.embedding) < THRESHOLD
        assert np.array_equal(result.image[~result.changed], astronaut[~result.changed])
        ys, xs = np.nonzero(result.changed)
        x0, y0, x1, y1 = face.box
        assert x0 - 20 <= xs.min() and xs.max() <= x1 + 20 and y0 - 60 <= ys.min() and ys.max() <= y1 + 20


def test_hopper_onto_every_face_of_t1(dlib_faces, hopper, t1_image: np.ndarray) -> None:
    swapper = LandmarkSwapper(hopper)
    faces = dlib_faces.detect(t1_image)
    assert len(faces) == 6
    for face in faces:
        before = dlib_faces.distance(dlib_faces.embed(t1_image, face), hopper.embedding)
        result = swapper(t1_image, face.landmarks)
        after = _distance_after(dlib_faces, result.image, face.box, hopper.embedding)
        assert before > THRESHOLD and after < THRESHOLD, (face.box, before, after)
        assert np.array_equal(result.image[~result.changed], t1_image[~result.changed])
        for other in faces:  # the other five faces are untouched
            if other is not face:
                x0, y0, x1, y1 = other.box.astype(int)
                assert not result.changed[y0:y1, x0:x1].any()


def test_refine_stage_restores_the_reference_identity(
    dlib_faces, astronaut, hopper_path, tmp_path: Path
) -> None:
    frames = np.concatenate([moving(astronaut, 10), np.full((1, 512, 512, 3), 30, np.uint8)])
    clip = write_frames(tmp_path / "clip.nut", frames)
    result = refine.STAGE.call(
        tmp_path / "out",
        RefineStageParams(refine=RefineParams(), identity=IdentityParams(), restore=RestoreParams()),
        frames=clip,
        reference=hopper_path,
    )
    m = result.metrics
    assert m["face_match_rate_raw"] == 0.0 and m["face_match_rate"] >= 0.95
    assert m["face_refined_frames"] == 10 and m["face_detection_rate"] == pytest.approx(10 / 11)
    assert m["face_distance_mean"] < m["face_distance_mean_raw"]
    assert 0 < m["face_realism_min"] <= m["face_realism_median"] <= 1  # the swap engine's realism figure
    out = read_frames(result.outputs["frames"].path)
    assert out.shape == frames.shape and np.array_equal(out[10], frames[10])  # no face: untouched
    assert result.outputs["frames"].kind == "frames" and result.outputs["report"].kind == "json"
    for key in (
        "face_distance",
        "face_distance_raw",
        "face_similarity",
        "face_similarity_raw",
        "face_refined",
    ):
        assert len(result.series[key]) == 11
    report = json.loads(result.outputs["report"].path.read_text())
    assert report["backend"] == "landmark_swap" and report["identity_backend"] == "dlib"
    first = report["frames"][0]
    assert first["distance"] < THRESHOLD < first["extra"]["distance_raw"] and first["extra"]["refined"] == 1.0
    assert 0 < first["extra"]["realism"] <= 1


def test_only_the_tracked_reference_face_is_refined(
    astronaut, hopper_path, astronaut_path, tmp_path: Path
) -> None:
    from dhcore.face.faces import read_image

    other = read_image(hopper_path)[44:556]
    frames = np.stack(
        [np.hstack([f, other]) for f in moving(astronaut, 3)]
    )  # the reference left, Hopper right
    clip = write_frames(tmp_path / "two.nut", frames)
    params = RefineParams(threshold=0.02, restore_after=False)  # force refinement of the tracked face
    result = refine.STAGE.call(
        tmp_path / "out",
        RefineStageParams(refine=params, identity=IdentityParams(), restore=RestoreParams()),
        frames=clip,
        reference=astronaut_path,
    )
    out = read_frames(result.outputs["frames"].path)
    assert result.metrics["face_refined_frames"] == 3
    assert np.array_equal(out[:, :, 512:], frames[:, :, 512:])  # the other person: untouched
    assert not np.array_equal(out[:, :, :512], frames[:, :, :512])


# -- inswapper with tiny models ------------------------------------------------------------------
@pytest.fixture
def tiny_swapper(models_root: Path, tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    path, emap, colour = tiny_inswapper(tmp_path / "src" / "inswapper_128.onnx")
    registry.add("inswapper_128", path)
    tiny_scrfd(tmp_path / "pack" / "det_10g.onnx")
    tiny_arcface(tmp_path / "pack" / "w600k_r50.onnx")
    registry.add("buffalo_l", tmp_path / "pack")
    return emap, colour


def test_inswapper_path_maps_the_source_through_emap(
    tiny_swapper, dlib_faces, hopper, astronaut, hopper_path, tmp_path: Path
) -> None:
    emap, colour = tiny_swapper
    clip = write_frames(tmp_path / "clip.nut", moving(astronaut, 3))
    params = RefineParams(backend="inswapper", restore_after=False)
    result = refine.STAGE.call(
        tmp_path / "out",
        RefineStageParams(refine=params, identity=IdentityParams(), restore=RestoreParams()),
        frames=clip,
        reference=hopper_path,
    )
    assert result.metrics["face_refined_frames"] == 3
    # expected output: 0.5 * target + latent @ colour, latent = unit(unit(ArcFace(reference)) @ emap)
    source = ArcFaceEmbedder(registry.resolve("buffalo_l") / "w600k_r50.onnx")(hopper.image, hopper.face.kps)
    latent = source @ emap
    latent /= np.linalg.norm(latent)
    shift = 255.0 * (latent @ colour)
    before, after = read_frames(clip), read_frames(result.outputs["frames"].path)
    for b, a in zip(before, after, strict=True):
        cx, cy = dlib_faces.detect(b)[0].kps[2].astype(int)
        want = np.clip(0.5 * b[cy - 2 : cy + 3, cx - 2 : cx + 3].astype(float).mean((0, 1)) + shift, 0, 255)
        assert np.abs(a[cy - 2 : cy + 3, cx - 2 : cx + 3].astype(float).mean((0, 1)) - want).max() < 8
        assert np.array_equal(a[-80:], b[-80:])  # outside the face crop: untouched


def test_inswapper_with_the_wrong_file_names_it(
    tiny_swapper, astronaut, hopper_path, tmp_path: Path, models_root: Path
) -> None:
    registry.add("inswapper_128", tiny_restorer(tmp_path / "x" / "inswapper_128.onnx", size=128))
    clip = write_frames(tmp_path / "clip.nut", moving(astronaut, 1))
    with pytest.raises(ModelError, match=r"inswapper_128\.onnx.*needs 2 input"):
        refine.STAGE.call(
            tmp_path / "o",
            RefineStageParams(
                refine=RefineParams(backend="inswapper"), identity=IdentityParams(), restore=RestoreParams()
            ),
            frames=clip,
            reference=hopper_path,
        )


def test_public_inswapper_hash_is_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    fake, _, _ = tiny_inswapper(tmp_path / "inswapper_128.onnx")
    with pytest.raises(ModelError, match=rf"{fake}.*the public inswapper_128\.onnx has e4a3f08c"):
        registry.add("inswapper_128", fake)


def test_landmark_swap_keeps_unrelated_pixels_with_restore_after(
    astronaut, hopper_path, tmp_path: Path
) -> None:
    frame = astronaut.copy()
    clip = write_frames(tmp_path / "c.nut", frame[None])
    result = refine.STAGE.call(
        tmp_path / "o",
        RefineStageParams(refine=RefineParams(), identity=IdentityParams(), restore=RestoreParams()),
        frames=clip,
        reference=hopper_path,
    )
    out = read_frames(result.outputs["frames"].path)[0]
    changed = np.any(out != frame, axis=2)
    ys, xs = np.nonzero(changed)
    assert xs.min() > 120 and xs.max() < 330 and ys.max() < 230  # face and forehead only
    assert cv2.absdiff(out, frame)[300:].max() == 0


def test_restore_also_leaves_other_faces_alone(
    astronaut, hopper_path, astronaut_path, tmp_path: Path
) -> None:
    from dhcore.face import restore
    from dhcore.face.faces import read_image

    other = read_image(hopper_path)[44:556]
    frames = np.stack([np.hstack([f, other]) for f in moving(astronaut, 2)])
    clip = write_frames(tmp_path / "two.nut", frames)
    result = restore.STAGE.call(
        tmp_path / "out",
        RestoreStageParams(restore=RestoreParams(strength=1.0), identity=IdentityParams()),
        frames=clip,
        reference=astronaut_path,
    )
    out = read_frames(result.outputs["frames"].path)
    assert result.metrics["face_restored_rate"] == 1.0
    assert np.array_equal(out[:, :, 512:], frames[:, :, 512:])
    assert not np.array_equal(out[:, :, :512], frames[:, :, :512])


def test_a_head_only_photo_of_two_refines_the_chosen_persons_face_alone(
    two_heads: tuple[Path, Path, Path],
) -> None:
    """subject.person 1 of a photo cut off at the neck (a pose without a neck): Hopper's face (right)
    is refined, Hanks' (left, the default choice) left as it is."""
    photo, pose, clip = two_heads
    params = RefineParams(threshold=0.02, restore_after=False)  # force refinement of the tracked face
    result = refine.STAGE.call(
        clip.parent / "refine",
        RefineStageParams(refine=params, identity=IdentityParams(), restore=RestoreParams()),
        frames=clip, reference=photo, reference_pose=pose, pose=clip.parent / "target.npz",
    )  # fmt: skip
    before, after = read_frames(clip), read_frames(result.outputs["frames"].path)
    assert result.metrics["face_refined_frames"] == 2
    assert np.array_equal(after[:, :, :370], before[:, :, :370])
    assert not np.array_equal(after[:, :, 370:], before[:, :, 370:])
