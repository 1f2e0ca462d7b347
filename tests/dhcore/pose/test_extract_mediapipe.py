"""pose.extract with the embedded MediaPipe detector, on real photos and a drawn dance video."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.media.frames import FrameWriter
from dhcore.metrics.pck import mean_pck, pck
from dhcore.pose import extract
from dhcore.pose import extract_mediapipe as mp_extract
from dhcore.pose.keypoints import BODY_NAMES, UPPER_BODY, J, PoseSequence
from tests import realdata


def test_photo_gives_one_frame_in_the_dh_layout(astronaut_png: Path, tmp_path: Path) -> None:
    result = extract.STAGE.call(tmp_path / "ref", source=astronaut_png)
    pose = PoseSequence.load(tmp_path / "ref" / "pose.npz")
    assert (len(pose), pose.width, pose.height) == (1, 512, 512)
    assert result.outputs["pose"].kind == "pose" and result.metrics["detected_rate"] == 1.0
    b = pose.body[0]
    vis = pose.visible()[0]
    for name in ("nose", "neck", "r_shoulder", "l_shoulder", "r_eye", "l_eye", "r_ear", "l_ear", "r_elbow"):
        assert vis[J[name]], name
    # a frontal photo: the person's right side is on the image's left
    assert b[J["r_shoulder"], 0] < b[J["neck"], 0] < b[J["l_shoulder"], 0]
    assert b[J["r_eye"], 0] < b[J["l_eye"], 0] and b[J["r_ear"], 0] < b[J["l_ear"], 0]
    assert b[J["nose"], 1] < b[J["neck"], 1] < b[J["r_elbow"], 1]
    np.testing.assert_allclose(b[J["neck"], :2], b[[J["r_shoulder"], J["l_shoulder"]], :2].mean(0), atol=1e-6)
    assert b[J["neck"], 2] == pytest.approx(min(b[J["r_shoulder"], 2], b[J["l_shoulder"], 2]))
    # the half-body portrait has no legs in frame: low confidence, i.e. missing to every consumer
    assert not vis[[J["r_knee"], J["l_knee"], J["r_ankle"], J["l_ankle"]]].any()
    assert (pose.face[0, :, 2] >= 0.5).all()


def _photos() -> dict[str, np.ndarray]:
    import insightface
    import matplotlib.cbook as cbook
    from skimage import data

    hanks = Path(os.path.dirname(insightface.__file__)) / "data" / "images" / "Tom_Hanks_54745.png"
    grace = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    return {
        "astronaut": data.astronaut(),
        "grace_hopper": cv2.cvtColor(grace, cv2.COLOR_BGR2RGB),
        "tom_hanks": cv2.cvtColor(cv2.imread(str(hanks)), cv2.COLOR_BGR2RGB),
    }


def test_face_68_mapping_agrees_with_dlibs_68_point_predictor() -> None:
    """The documented mesh->iBUG-68 picks land where dlib puts its 68 points (mean < 10 % of the
    inter-ocular distance on each packaged photo)."""
    import dlib
    import face_recognition_models

    finder = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    with mp_extract.MediaPipeDetector(video=False) as detector:
        for name, rgb in _photos().items():
            h, w = rgb.shape[:2]
            _, _, face = detector.detect(rgb)
            ref = np.array([(p.x, p.y) for p in predictor(rgb, finder(rgb, 1)[0]).parts()], float)
            iod = np.linalg.norm(ref[36:42].mean(0) - ref[42:48].mean(0))
            err = np.linalg.norm(face[:, :2] * (w, h) - ref, axis=1) / iod
            assert err.mean() < 0.1, (name, err.mean())
            assert err.max() < 0.3, (name, err.max())


def test_video_is_tracked_and_matches_the_drawn_keypoints(
    dance_video: tuple[PoseSequence, Path], tmp_path: Path
) -> None:
    truth, video = dance_video
    seen: list[tuple[int, int | None]] = []
    result = extract.STAGE.call(
        tmp_path / "drv", extract.Params(), progress=lambda d, t: seen.append((d, t)), source=video
    )
    pose = PoseSequence.load(tmp_path / "drv" / "pose.npz")
    assert (len(pose), pose.width, pose.height, pose.fps) == (len(truth), 512, 512, 24.0)
    assert result.metrics["detected_rate"] == 1.0 and result.series["pose_detected"] == [1.0] * len(truth)
    assert seen[-1] == (len(truth), len(truth)) and len(seen) == -(-len(truth) // extract.CHUNK)
    assert mean_pck(pck(truth, pose, joints=UPPER_BODY)) > 0.9  # the drawn figure's feet are not ankles
    face_err = np.linalg.norm((pose.face[..., :2] - truth.face[..., :2]) * 512, axis=-1)
    assert np.nanmedian(face_err) < 6.0  # px: the drawn face's 68 points are found again
    # holistic's left hand is the person's left: a found hand sits at the matching wrist
    for k, wrist in ((0, J["l_wrist"]), (1, J["r_wrist"])):
        found = pose.hands[:, k, 0, 2] > 0
        if found.any():
            d = np.linalg.norm(pose.hands[found, k, 0, :2] - pose.body[found, wrist, :2], axis=-1) * 512
            assert np.median(d) < 25, (k, np.median(d))


def test_one_warm_detector_per_run(
    dance_video: tuple[PoseSequence, Path], tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    made: list[object] = []
    original = mp_extract.MediaPipeDetector.__init__

    def counting(self, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(mp_extract.MediaPipeDetector, "__init__", counting)
    extract.STAGE.call(tmp_path / "p", extract.Params(parts="body"), source=dance_video[1])
    assert len(made) == 1


def test_blank_photo_is_no_person(tmp_path: Path) -> None:
    path = tmp_path / "wall.png"
    cv2.imwrite(str(path), np.full((256, 256, 3), 200, np.uint8))
    with pytest.raises(InputError, match=r"wall\.png: no person found in the reference photo"):
        extract.STAGE.call(tmp_path / "out", source=path)
    assert not (tmp_path / "out" / "pose.npz").exists()


@pytest.mark.parametrize(
    "name, rows", [("grace_hopper", 330), ("grace_hopper", 370), ("grace_hopper", 400), ("face_crop", None)]
)
def test_a_photo_cut_off_at_the_neck_keeps_only_its_head(name: str, rows: int | None, tmp_path: Path) -> None:
    """MediaPipe guesses the shoulders below the edge of a photo that ends at the chin or the neck
    (confidently): animated from there, they dragged the bottom edge along as a neck. The photo is
    not refused: only its face points are kept, and a warning says what will move."""
    rgb = realdata.rgb(name)[:rows]
    path = tmp_path / f"{name}.png"
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    said: list[str] = []
    assert extract.reference_problem(path, extract.Params(), said) is None
    assert said == [
        "only a head is shown (cut off at the neck): its position, size and tilt follow the driver; "
        "the body's motion is not shown"
    ]
    result = extract.STAGE.call(tmp_path / "out", source=path)
    assert any(w.startswith(f"{path}: only a head is shown") for w in result.warnings)
    pose = PoseSequence.load(result.outputs["pose"].path)
    shown = {BODY_NAMES[j] for j in np.flatnonzero(pose.visible(0.3)[0])}
    assert shown == {"nose", "r_eye", "l_eye", "r_ear", "l_ear"}
    assert not np.isfinite(pose.body[0, [J["neck"], J["r_shoulder"], J["l_shoulder"]], :2]).any()
    assert not (pose.hands[..., 2] > 0).any()  # no hands


def test_a_photo_cut_off_at_the_neck_showing_one_face_point_is_refused(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A head needs two face points to be placed and turned: one alone (a detector's near miss) is refused."""
    path = realdata.write_photo("face_crop", tmp_path / "face.png")
    real = extract.detect_person

    def nose_only(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        body, hands, face = real(*args, **kwargs)
        body = body.copy()
        body[[J[n] for n in ("r_eye", "l_eye", "r_ear", "l_ear")], 2] = 0.1
        return body, hands, face

    monkeypatch.setattr(extract, "detect_person", nose_only)
    problem = extract.reference_problem(path, extract.Params())
    assert problem is not None and problem.startswith(
        "the person is cut off at the neck and only 1 point of the face is found"
    ), problem


def test_a_photo_that_shows_the_shoulders_is_not_cut_off(tmp_path: Path) -> None:
    path = realdata.write_photo("grace_hopper", tmp_path / "gh.png")  # cut at the chest
    assert extract.reference_problem(path, extract.Params()) is None
    cut = tmp_path / "shoulders.png"  # cut just under the shoulder line
    cv2.imwrite(str(cut), cv2.imread(str(path))[:440])
    assert extract.reference_problem(cut, extract.Params()) is None


def test_unreadable_photo(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_text("not an image")
    with pytest.raises(InputError, match=r"broken\.jpg: not a readable image"):
        extract.STAGE.call(tmp_path / "out", source=path)


def test_video_without_a_body(tmp_path: Path) -> None:
    path = tmp_path / "empty_room.nut"
    with FrameWriter(path, 24, 128, 128) as writer:
        writer.write(np.full((6, 128, 128, 3), 90, np.uint8))
    with pytest.raises(InputError, match=r"empty_room\.nut: no visible body in any of its 6 frames"):
        extract.STAGE.call(tmp_path / "out", source=path)


def test_a_driver_over_4_to_1_is_refused_at_run_time_as_validate_refuses_it(tmp_path: Path) -> None:
    """A strip of the real street video given as the driver at run time (not through `dh validate`):
    the run stops before detecting anything, with the words validation gives at motion.path."""
    capture = cv2.VideoCapture(str(realdata.path("pedestrians")))
    strip = [capture.read()[1][260:324, 300:620, ::-1] for _ in range(3)]  # walkers' legs, 320x64
    capture.release()
    path = tmp_path / "strip.nut"
    with FrameWriter(path, 10, 320, 64) as writer:
        writer.write(np.ascontiguousarray(np.stack(strip)))
    says = "the video is 320x64, an aspect ratio over 4:1; crop it around the dancer"
    assert extract.driver_problem(path) == says  # what validation puts at motion.path
    with pytest.raises(InputError) as raised:
        extract.STAGE.call(tmp_path / "out", source=path)
    assert str(raised.value) == f"{path}: {says}"
    assert not (tmp_path / "out" / "pose.npz").exists()


def test_video_without_frames(tmp_path: Path) -> None:
    import av

    path = tmp_path / "nothing.avi"
    with av.open(str(path), "w") as container:  # a video stream and not one frame
        stream = container.add_stream("mjpeg", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuvj420p"
        container.start_encoding()
    with pytest.raises(InputError, match=r"nothing\.avi: the video has no frames"):
        extract.STAGE.call(tmp_path / "out", source=path)


def test_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("hello")
    with pytest.raises(InputError, match=r"notes\.mp4"):
        extract.STAGE.call(tmp_path / "out", source=path)


def test_params_and_model_ids() -> None:
    assert extract.model_ids(extract.Params()) == []
    assert extract.model_ids(extract.Params(detector="dwpose")) == ["dwpose_yolox_l", "dwpose_ll_ucoco_384"]
    with pytest.raises(ValueError):
        extract.Params(detector="openpose")
