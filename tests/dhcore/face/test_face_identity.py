"""Stage face.identity: per-frame distance to the reference, match and detection rates, report."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.face import identity
from dhcore.face.params import IdentityParams
from dhcore.models import registry
from tests.dhcore.face.face_helpers import moving, tiny_arcface, tiny_scrfd, write_frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """12 frames of the moving astronaut with 3 empty frames in between (15 in all)."""
    frames = list(moving(astronaut, 12))
    blank = np.full_like(frames[0], 70)
    for at in (3, 8, 13):
        frames.insert(at, blank)
    return write_frames(tmp_path_factory.mktemp("identity") / "clip.nut", np.stack(frames))


def test_same_person_matches_every_frame_with_a_face(
    clip: Path, astronaut_path: Path, tmp_path: Path
) -> None:
    result = identity.STAGE.call(tmp_path, IdentityParams(), frames=clip, reference=astronaut_path)
    m = result.metrics
    assert result.frames == 15
    assert m["face_match_rate"] == 1.0
    assert m["face_detection_rate"] == pytest.approx(12 / 15)
    assert m["face_frames_measured"] == 12 and m["face_threshold"] == 0.6
    assert m["face_distance_max"] < 0.35 and m["face_similarity_min"] > 0.95
    assert len(result.series["face_distance"]) == 15 and result.series["face_distance"][3] is None
    report = json.loads(result.outputs["report"].path.read_text())
    assert result.outputs["report"].kind == "json"
    assert report["backend"] == "dlib" and report["stage"] == "face.identity"
    assert len(report["frames"]) == 15 and report["frames"][8]["face"] is False
    assert all(f["match"] for f in report["frames"] if f["face"])


def test_another_person_never_matches(clip: Path, hopper_path: Path, tmp_path: Path) -> None:
    result = identity.STAGE.call(tmp_path, IdentityParams(), frames=clip, reference=hopper_path)
    assert result.metrics["face_match_rate"] == 0.0
    assert min(d for d in result.series["face_distance"] if d is not None) > 0.6


def test_stride_samples_every_nth_frame(clip: Path, astronaut_path: Path, tmp_path: Path) -> None:
    result = identity.STAGE.call(
        tmp_path, IdentityParams(stride=4, threshold=0.5), frames=clip, reference=astronaut_path
    )
    measured = [i for i, d in enumerate(result.series["face_distance"]) if d is not None]
    assert measured == [0, 4, 12]  # frames 8 is empty; tracking still runs on every frame
    assert result.metrics["face_detection_rate"] == pytest.approx(12 / 15)
    assert result.metrics["face_threshold"] == 0.5


def test_reference_without_a_face_is_an_input_error(clip: Path, tmp_path: Path) -> None:
    wall = tmp_path / "wall.png"
    cv2.imwrite(str(wall), np.full((200, 200, 3), 200, np.uint8))
    with pytest.raises(InputError, match=r"wall\.png: no face found in the reference photo"):
        identity.STAGE.call(tmp_path / "out", IdentityParams(), frames=clip, reference=wall)


def test_insightface_backend_from_a_local_pack(models_root: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    tiny_scrfd(pack / "det_10g.onnx")
    tiny_arcface(pack / "w600k_r50.onnx")
    registry.add("buffalo_l", pack)
    frames = np.zeros((6, 320, 320, 3), np.uint8)
    for i in range(6):
        frames[i, 64:96, 96 + 32 * (i % 2) : 128 + 32 * (i % 2)] = 255  # the "face" steps sideways
    clip = write_frames(tmp_path / "clip.nut", frames)
    ref = tmp_path / "ref.png"
    cv2.imwrite(str(ref), frames[0])
    result = identity.STAGE.call(
        tmp_path / "out", IdentityParams(backend="insightface"), frames=clip, reference=ref
    )
    assert result.metrics["face_detection_rate"] == 1.0
    assert result.metrics["face_match_rate"] == 1.0
    report = json.loads(result.outputs["report"].path.read_text())
    assert report["backend"] == "insightface" and report["distance"].startswith("cosine")


def test_subject_person_is_the_face_measured_in_a_group_photo(dlib_faces, tmp_path: Path) -> None:
    """With subject.person set, the face stages take that person's face (the one on the nose of
    pose.extract's reference pose), not the default choice, and face_match_rate is measured on it."""
    from dhcore.face.reference import reference_face
    from dhcore.pose import extract
    from dhcore.pose.keypoints import J, PoseSequence
    from tests import realdata

    group = realdata.path("six_people")
    params = extract.Params(parts="body", person=0)  # the default choice is person 2
    pose_path = extract.STAGE.call(tmp_path / "pose", params, source=group).outputs["pose"].path
    ref = reference_face(group, dlib_faces, pose=pose_path)
    h, w = ref.image.shape[:2]
    nose = PoseSequence.load(pose_path).body[0, J["nose"], :2] * (w, h)
    x0, y0, x1, y1 = ref.face.box
    assert x0 <= nose[0] <= x1 and y0 <= nose[1] <= y1, (ref.face.box, nose)
    default = reference_face(group, dlib_faces)
    assert default.face.box[0] > x1  # the default person stands further right

    clip = write_frames(tmp_path / "group.nut", np.stack([ref.image] * 2))
    inputs = {"frames": clip, "reference": group}
    chosen = identity.STAGE.call(tmp_path / "chosen", IdentityParams(), reference_pose=pose_path, **inputs)
    unchosen = identity.STAGE.call(tmp_path / "default", IdentityParams(), **inputs)
    for result, face in ((chosen, ref.face), (unchosen, default.face)):
        report = json.loads(result.outputs["report"].path.read_text())
        assert result.metrics["face_match_rate"] == 1.0
        for frame in report["frames"]:  # the tracked face is the reference face, whoever it is
            cx, cy = (frame["box"][0] + frame["box"][2]) / 2, (frame["box"][1] + frame["box"][3]) / 2
            assert face.box[0] <= cx <= face.box[2] and face.box[1] <= cy <= face.box[3]


def test_subject_person_of_a_head_only_group_photo_is_the_face_measured(
    two_heads: tuple[Path, Path, Path],
) -> None:
    """A photo of two heads cut off at the neck, subject.person 1: the measured face is Hopper's (right
    half), though the pose has no neck to place her head by."""
    photo, pose, clip = two_heads
    result = identity.STAGE.call(
        clip.parent / "identity", IdentityParams(), frames=clip, reference=photo, reference_pose=pose
    )
    report = json.loads(result.outputs["report"].path.read_text())
    assert result.metrics["face_match_rate"] == 1.0
    assert all(frame["box"][0] > 370 for frame in report["frames"])
