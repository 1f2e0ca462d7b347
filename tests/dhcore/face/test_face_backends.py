"""Detection, landmarks and embeddings behind one interface: dlib (ONNX-run descriptor), MediaPipe,
and insightface from a local pack folder (tiny SCRFD + ArcFace with the real signatures)."""

from __future__ import annotations

from pathlib import Path

import cv2
import dlib
import numpy as np
import pytest

from dhcore.errors import InputError, ModelError
from dhcore.face.dlib_backend import MODEL_FILES, model_folder
from dhcore.face.dlib_onnx import DlibEncoder, parse_dlib_resnet
from dhcore.face.faces import Face, FaceAnalyzer, box_iou, kps_from_68, load_analyzer, read_image
from dhcore.face.reference import detect_faces, reference_face, reference_face_problem
from dhcore.models import registry
from tests.dhcore.face.face_helpers import (
    TINY_BOX_HALF,
    TINY_KPS,
    moving,
    tiny_arcface,
    tiny_restorer,
    tiny_scrfd,
)


def _check_geometry(face: Face, image: np.ndarray) -> None:
    k = face.kps
    assert k.shape == (5, 2) and face.landmarks is not None and face.landmarks.shape == (68, 2)
    assert k[0, 0] < k[2, 0] < k[1, 0]  # eyes either side of the nose
    assert max(k[0, 1], k[1, 1]) < k[2, 1] < min(k[3, 1], k[4, 1])  # eyes above nose above mouth
    assert k[3, 0] < k[4, 0]
    x0, y0, x1, y1 = face.box
    assert 0 <= x0 < x1 <= image.shape[1] and 0 <= y0 < y1 <= image.shape[0]
    assert np.all((k >= face.box[:2] - 5) & (k <= face.box[2:] + 5))


def test_dlib_descriptor_on_onnx_equals_dlib(dlib_faces, astronaut, hopper_path) -> None:
    reference = dlib.face_recognition_model_v1(str(model_folder() / MODEL_FILES["recognition"]))
    for image in (astronaut, read_image(hopper_path)):
        face = dlib_faces.detect(image)[0]
        chip = dlib_faces.chip(image, face)
        want = np.array(reference.compute_face_descriptor(chip))
        got = dlib_faces.embed(image, face)
        assert got.shape == (128,)
        assert np.abs(got - want).max() < 1e-4


def test_dlib_distances_separate_people(dlib_faces, astronaut, hopper_path) -> None:
    hopper = read_image(hopper_path)
    e_ast = dlib_faces.embed(astronaut, dlib_faces.detect(astronaut)[0])
    e_hop = dlib_faces.embed(hopper, dlib_faces.detect(hopper)[0])
    assert dlib_faces.distance(e_ast, e_hop) > 0.6
    for frame in moving(astronaut, 24)[::8]:  # the same person, moved, tilted and resampled
        face = dlib_faces.detect(frame)[0]
        assert dlib_faces.distance(dlib_faces.embed(frame, face), e_ast) < 0.3


def test_dlib_and_mediapipe_geometry(dlib_faces, astronaut) -> None:
    mp_faces = load_analyzer("mediapipe")
    a, b = dlib_faces.detect(astronaut), mp_faces.detect(astronaut)
    assert len(a) == 1 and len(b) == 1
    _check_geometry(a[0], astronaut)
    _check_geometry(b[0], astronaut)
    # both backends put the same landmarks within a few pixels (face ~90 px wide)
    assert np.median(np.linalg.norm(a[0].landmarks - b[0].landmarks, axis=1)) < 6
    assert np.abs(kps_from_68(a[0].landmarks) - a[0].kps).max() < 1e-4
    assert b[0].extra["mesh"].shape == (478, 3)
    e1 = mp_faces.embed(astronaut, b[0])
    assert e1.shape == (128,) and dlib_faces.distance(e1, dlib_faces.embed(astronaut, a[0])) < 0.25


def test_dlib_finds_all_six_faces_of_t1(dlib_faces, t1_image) -> None:
    faces = dlib_faces.detect(t1_image)
    assert len(faces) == 6
    for face in faces:
        _check_geometry(face, t1_image)
    assert max(box_iou(a.box, b.box) for a in faces for b in faces if a is not b) == 0.0


def test_dlib_finds_a_full_body_dancers_small_face(dlib_faces, astronaut) -> None:
    """A ~26 px face in a 512 px frame (a full-body dancer's): found only 4x upsampled."""
    small = cv2.resize(astronaut, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    frame = np.full((512, 512, 3), 128, np.uint8)
    frame[: small.shape[0], : small.shape[1]] = small
    assert dlib_faces.detect(frame, upsample=1) == []
    faces = dlib_faces.detect(frame)
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0].box
    eyes = np.array([[0.40, 0.20], [0.47, 0.22]]) * 512 * 0.3  # the astronaut's eyes, scaled
    assert (
        (x0 < eyes[:, 0]).all()
        and (eyes[:, 0] < x1).all()
        and (y0 < eyes[:, 1]).all()
        and (eyes[:, 1] < y1).all()
    )


def test_corrupt_dlib_network_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "dlib_face_recognition_resnet_model_v1.dat"
    data = (model_folder() / MODEL_FILES["recognition"]).read_bytes()
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match=str(bad)):
        DlibEncoder(bad)
    net = parse_dlib_resnet(model_folder() / MODEL_FILES["recognition"])
    assert net.size == 150 and abs(net.mean_rgb[0] - 122.782) < 1e-3


def test_reference_checks(tmp_path: Path, hopper_path: Path) -> None:
    blank = tmp_path / "wall.png"
    import cv2

    cv2.imwrite(str(blank), np.full((300, 300, 3), 128, np.uint8))
    assert reference_face_problem(hopper_path) is None
    assert "no face" in reference_face_problem(blank)
    assert "not a readable image" in reference_face_problem(tmp_path / "missing.png")
    with pytest.raises(InputError, match="wall.png: no face found"):
        reference_face(blank, load_analyzer("dlib"))


def test_a_group_photos_reference_face_is_the_animated_persons(dlib_faces: FaceAnalyzer) -> None:
    """The face stages measure and restore the person pose.extract animates (the largest, most
    central), not the largest face, which in t1.jpg is someone else's."""
    from dhcore.pose import extract
    from dhcore.pose.keypoints import J
    from tests import realdata

    group = realdata.path("six_people")
    ref = reference_face(group, dlib_faces)
    pose, warnings = extract._extract_photo(group, extract.Params(parts="body"), None)
    assert "animating person 2" in warnings[0]
    h, w = ref.image.shape[:2]
    x0, y0, x1, y1 = ref.face.box
    nose = pose.body[0, J["nose"], :2] * (w, h)
    assert x0 <= nose[0] <= x1 and y0 <= nose[1] <= y1, (ref.face.box, nose)
    largest = max(detect_faces(dlib_faces, ref.image), key=lambda f: f.size)
    assert not np.array_equal(largest.box, ref.face.box)  # the old choice: another person


def test_no_face_on_the_posed_head_is_an_input_error_not_another_persons_face(
    dlib_faces: FaceAnalyzer, tmp_path: Path
) -> None:
    """Where the reference pose's head shows no face (the detector missed it), the face stages stop with
    an InputError naming the photo rather than measure and paste another person's face."""
    from dhcore.pose.keypoints import J, PoseSequence
    from tests import realdata

    group = realdata.path("six_people")
    pose = PoseSequence.empty(1, 1024, 709, 1.0)
    pose.body[0, J["nose"]] = (0.5, 0.9, 0.9)  # on the table, below everyone
    pose.body[0, J["neck"]] = (0.5, 0.98, 0.9)
    pose.save(tmp_path / "pose.npz")
    with pytest.raises(
        InputError, match=r"t1.jpg: no face found on the animated person's head \(nose at 50% across"
    ):
        reference_face(group, dlib_faces, pose=tmp_path / "pose.npz")


# -- insightface from a local pack folder ------------------------------------------------------
@pytest.fixture
def tiny_pack(models_root: Path, tmp_path: Path) -> Path:
    src = tmp_path / "buffalo_l"
    tiny_scrfd(src / "det_10g.onnx")
    tiny_arcface(src / "w600k_r50.onnx")
    return registry.add("buffalo_l", src)


def test_insightface_pack_detects_and_embeds(tiny_pack: Path) -> None:
    from dhcore.face.insightface_backend import InsightFaceAnalyzer

    faces = InsightFaceAnalyzer(registry.resolve("buffalo_l"))
    image = np.zeros((320, 320, 3), np.uint8)
    image[64:96, 128:160] = 255  # one bright stride-32 cell: anchor centre (128, 64)
    found = faces.detect(image)
    assert len(found) == 1
    half = TINY_BOX_HALF * 32
    assert np.allclose(found[0].box, [128 - half, 64 - half, 128 + half, 64 + half], atol=0.5)
    assert np.allclose(found[0].kps, np.array([128, 64]) + TINY_KPS * 32, atol=0.5)
    emb = faces.embed(image, found[0])
    assert emb.shape == (512,) and abs(np.linalg.norm(emb) - 1) < 1e-5
    assert faces.distance(emb, emb) < 1e-6
    moved = np.roll(image, 64, axis=1)  # the face moved: same crop, same embedding
    assert faces.distance(faces.embed(moved, faces.detect(moved)[0]), emb) < 1e-4
    assert faces.landmarks68(image, found[0]).shape == (68, 2)


def test_insightface_wrong_files_name_the_file(models_root: Path, tmp_path: Path) -> None:
    from dhcore.face.insightface_backend import InsightFaceAnalyzer

    src = tmp_path / "pack"
    tiny_scrfd(src / "det_10g.onnx")
    tiny_restorer(src / "w600k_r50.onnx", size=112)  # a 112-px image-to-image net is no recognizer
    folder = registry.add("buffalo_l", src)
    with pytest.raises(ModelError, match=r"w600k_r50\.onnx"):
        InsightFaceAnalyzer(folder)
    (folder / "det_10g.onnx").write_bytes(b"not onnx at all")
    with pytest.raises(ModelError, match=r"det_10g\.onnx.*(corrupt or wrong file)"):
        registry.resolve("buffalo_l")
