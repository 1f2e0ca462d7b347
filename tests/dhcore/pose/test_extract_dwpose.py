"""DWPose pre/post-processing, run end to end through onnxruntime on tiny models built here.

The tiny models have the real signatures: YOLOX `images` [1,3,640,640] -> `output` [1,8400,85];
RTMPose `input` [1,3,384,288] -> `simcc_x` [1,133,576], `simcc_y` [1,133,768] (float32). The
detector returns fixed raw predictions (one person box, a weaker duplicate, a non-person box
and a faint person); the pose model turns the crop's column/row brightness profiles into SimCC
vectors, so every keypoint lands on the brightest spot of the crop. A white dot drawn into an
image must come back at its pixel position: that exercises letterbox, grid decode, NMS, box
padding, affine crop, normalisation, SimCC decode and the inverse affine together.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from dhcore.errors import ModelError
from dhcore.media.frames import FrameWriter
from dhcore.models import registry
from dhcore.pose import extract
from dhcore.pose import extract_dwpose as D
from dhcore.pose.keypoints import J, PoseSequence

IMAGE_W, IMAGE_H = 400, 300
PERSON = (120.0, 40.0, 300.0, 280.0)  # the box the tiny detector reports, original pixels
RATIO = min(640 / IMAGE_H, 640 / IMAGE_W)


def _anchor(stride: int, gx: int, gy: int) -> int:
    offset = 0
    for s in D.STRIDES:
        if s == stride:
            return offset + gy * (640 // s) + gx
        offset += (640 // s) ** 2
    raise AssertionError(stride)


def _raw_box(
    raw: np.ndarray, box: tuple[float, ...], stride: int, obj: float, cls: int = 0, p: float = 0.95
) -> None:
    cx, cy = (box[0] + box[2]) / 2 * RATIO, (box[1] + box[3]) / 2 * RATIO
    w, h = (box[2] - box[0]) * RATIO, (box[3] - box[1]) * RATIO
    gx, gy = int(cx // stride), int(cy // stride)
    i = _anchor(stride, gx, gy)
    raw[i, :4] = (cx / stride - gx, cy / stride - gy, np.log(w / stride), np.log(h / stride))
    raw[i, 4] = obj
    raw[i, 5 + cls] = p


def _detector_raw() -> np.ndarray:
    raw = np.zeros((8400, 85), np.float32)
    _raw_box(raw, PERSON, 32, obj=0.9)
    _raw_box(raw, (125.0, 45.0, 300.0, 280.0), 16, obj=0.7)  # duplicate: suppressed by NMS
    _raw_box(raw, (10.0, 10.0, 60.0, 60.0), 8, obj=0.9, cls=16)  # a dog, not a person
    _raw_box(raw, (320.0, 200.0, 390.0, 290.0), 8, obj=0.3, p=0.5)  # person at score 0.15: too faint
    return raw


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def tiny_yolox(path: Path) -> Path:
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], keepdims=1),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
        helper.make_node("Reshape", ["z", "shape3"], ["z3"]),
        helper.make_node("Add", ["z3", "raw"], ["output"]),
    ]
    inits = [
        numpy_helper.from_array(np.zeros((1,), np.float32), "zero"),
        numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape3"),
        numpy_helper.from_array(_detector_raw()[None], "raw"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_yolox",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 8400, 85])], inits,
    )  # fmt: skip
    return _save(graph, path)


def _upsample(n: int) -> np.ndarray:
    u = np.zeros((n, 2 * n), np.float32)
    u[np.arange(n), 2 * np.arange(n)] = 1.0
    u[np.arange(n), 2 * np.arange(n) + 1] = 1.0
    return u


def tiny_rtmpose(path: Path) -> Path:
    nodes = []
    for axis, (reduce, name) in {"x": ([1, 2], "simcc_x"), "y": ([1, 3], "simcc_y")}.items():
        nodes += [
            helper.make_node("ReduceMean", ["input"], [f"p{axis}"], axes=reduce, keepdims=0),
            helper.make_node("MatMul", [f"p{axis}", f"u{axis}"], [f"s{axis}"]),
            helper.make_node("Add", [f"s{axis}", "lift"], [f"l{axis}"]),
            helper.make_node("Unsqueeze", [f"l{axis}", "axis1"], [f"e{axis}"]),
            helper.make_node("Expand", [f"e{axis}", f"shape{axis}"], [name]),
        ]
    inits = [
        numpy_helper.from_array(_upsample(288), "ux"),
        numpy_helper.from_array(_upsample(384), "uy"),
        numpy_helper.from_array(np.array([3.0], np.float32), "lift"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([1, 133, 576], np.int64), "shapex"),
        numpy_helper.from_array(np.array([1, 133, 768], np.int64), "shapey"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_rtmpose",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 384, 288])],
        [helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, [1, 133, 576]),
         helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, [1, 133, 768])], inits,
    )  # fmt: skip
    return _save(graph, path)


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("tiny_onnx")
    root = tmp_path_factory.mktemp("models")
    registry.add(D.DET_MODEL, tiny_yolox(build / D.DET_FILE), root=root)
    registry.add(D.POSE_MODEL, tiny_rtmpose(build / D.POSE_FILE), root=root)
    return root


def _dot_image(x: int, y: int) -> np.ndarray:
    img = np.zeros((IMAGE_H, IMAGE_W, 3), np.uint8)
    cv2.circle(img, (x, y), 3, (255, 255, 255), -1)
    return img


def test_tiny_models_have_the_real_signatures(models_root: Path) -> None:
    import onnxruntime as ort

    det = ort.InferenceSession(
        str(models_root / D.DET_MODEL / D.DET_FILE), providers=["CPUExecutionProvider"]
    )
    pose = ort.InferenceSession(
        str(models_root / D.POSE_MODEL / D.POSE_FILE), providers=["CPUExecutionProvider"]
    )
    assert [(i.name, i.shape, i.type) for i in det.get_inputs()] == [
        ("images", [1, 3, 640, 640], "tensor(float)")
    ]
    assert [(o.name, o.shape) for o in det.get_outputs()] == [("output", [1, 8400, 85])]
    assert [(i.name, i.shape) for i in pose.get_inputs()] == [("input", [1, 3, 384, 288])]
    assert [(o.name, o.shape) for o in pose.get_outputs()] == [
        ("simcc_x", [1, 133, 576]),
        ("simcc_y", [1, 133, 768]),
    ]


def test_detector_decodes_one_person_box(models_root: Path) -> None:
    with D.DWPoseDetector(models_root) as det:
        boxes = det.boxes(_dot_image(200, 150))
    assert boxes.shape == (1, 5)
    np.testing.assert_allclose(boxes[0, :4], PERSON, atol=1e-3)
    assert boxes[0, 4] == pytest.approx(0.9 * 0.95, abs=1e-6)


@pytest.mark.parametrize(("x", "y"), [(200, 150), (150, 80), (280, 250)])
def test_keypoints_come_back_at_the_dot(models_root: Path, x: int, y: int) -> None:
    with D.DWPoseDetector(models_root) as det:
        body, hands, face = det.detect(_dot_image(x, y))
    want = np.array([x / IMAGE_W, y / IMAGE_H])
    for points in (body, hands.reshape(-1, 3), face):
        assert (points[:, 2] > 0).all()
        np.testing.assert_allclose(
            points[:, :2], np.broadcast_to(want, points[:, :2].shape), atol=2.0 / IMAGE_W
        )


def test_no_person_box_gives_all_missing(models_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with D.DWPoseDetector(models_root) as det:
        monkeypatch.setattr(det, "boxes", lambda rgb: np.zeros((0, 5)))
        body, hands, face = det.detect(_dot_image(200, 150))
    assert (body[:, 2] == 0).all() and np.isnan(body[:, :2]).all() and np.isnan(face[:, :2]).all()


def test_stage_runs_on_a_photo_and_a_video(models_root: Path, tmp_path: Path) -> None:
    photo = tmp_path / "dot.png"
    cv2.imwrite(str(photo), _dot_image(210, 120))
    params = extract.Params(detector="dwpose")
    extract.STAGE.call(tmp_path / "photo", params, models_root=models_root, source=photo)
    pose = PoseSequence.load(tmp_path / "photo" / "pose.npz")
    assert len(pose) == 1 and pose.body[0, J["nose"], :2] == pytest.approx((210 / 400, 120 / 300), abs=0.006)
    video = tmp_path / "dot.nut"
    xs = [160, 190, 220, 250]
    with FrameWriter(video, 24, IMAGE_W, IMAGE_H) as writer:
        writer.write(np.stack([_dot_image(x, 150) for x in xs]))
    result = extract.STAGE.call(tmp_path / "video", params, models_root=models_root, source=video)
    pose = PoseSequence.load(tmp_path / "video" / "pose.npz")
    assert result.metrics["detected_rate"] == 1.0
    np.testing.assert_allclose(pose.body[:, J["l_wrist"], 0] * IMAGE_W, xs, atol=2.0)


def test_letterbox_puts_the_image_top_left_on_grey() -> None:
    img = np.full((300, 400, 3), 7, np.uint8)
    padded, ratio = D.letterbox(img, (640, 640))
    assert ratio == pytest.approx(1.6)
    assert padded.shape == (640, 640, 3)
    assert (padded[:480, :640] == 7).all() and (padded[480:] == D.PAD_VALUE).all()


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float64)
    keep = D.nms(boxes, np.array([0.5, 0.9, 0.8]))
    assert keep.tolist() == [1, 2]


def test_crop_and_its_inverse_are_consistent() -> None:
    centre, scale = D.box_to_crop(np.array([50, 20, 150, 420]), (288, 384))
    assert scale[0] / scale[1] == pytest.approx(288 / 384)  # widened to the model's aspect
    assert scale[1] == pytest.approx(400 * D.BOX_PADDING)
    m = D.crop_matrix(centre, scale, (288, 384))
    pts = np.random.default_rng(0).uniform(0, 400, (20, 2))
    in_crop = pts @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(D.crop_to_image(in_crop, centre, scale, (288, 384)), pts, atol=1e-3)


def test_simcc_decode_takes_argmax_bins_and_the_smaller_peak() -> None:
    sx, sy = np.zeros((1, 2, 576), np.float32), np.zeros((1, 2, 768), np.float32)
    sx[0, 0, 101], sy[0, 0, 300] = 0.8, 0.6
    sx[0, 1, 5] = 0.7  # y has no positive peak: missing
    locs, scores = D.decode_simcc(sx, sy)
    assert locs[0, 0].tolist() == [50.5, 150.0] and scores[0, 0] == pytest.approx(0.6)
    assert np.isnan(locs[0, 1]).all()


def test_wholebody_133_maps_to_the_dh_layout() -> None:
    xy = np.stack([np.arange(133) * 2.0, np.arange(133) * 3.0], 1)
    scores = np.linspace(0.4, 0.9, 133)
    scores[10] = 0.0  # right wrist (COCO 10) not found
    body, hands, face = D.wholebody_to_dh(xy, scores, 1000, 1000)
    coco = {"nose": 0, "r_shoulder": 6, "l_shoulder": 5, "r_elbow": 8, "l_wrist": 9, "r_hip": 12,
            "l_ankle": 15, "r_eye": 2, "l_eye": 1, "r_ear": 4, "l_ear": 3}  # fmt: skip
    for name, i in coco.items():
        assert body[J[name], :2] == pytest.approx((i * 0.002, i * 0.003)), name
    assert body[J["neck"], :2] == pytest.approx((5.5 * 0.002, 5.5 * 0.003))
    assert body[J["neck"], 2] == pytest.approx(min(scores[5], scores[6]))
    assert np.isnan(body[J["r_wrist"], :2]).all() and body[J["r_wrist"], 2] == 0
    assert hands[0, 0, 0] == pytest.approx(91 * 0.002) and hands[1, 20, 0] == pytest.approx(132 * 0.002)
    assert face[0, 0] == pytest.approx(23 * 0.002) and face[67, 0] == pytest.approx(90 * 0.002)


def test_missing_weights_are_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"dwpose_yolox_l.*dh models add dwpose_yolox_l"):
        D.DWPoseDetector(tmp_path / "empty_models")


def test_corrupt_weights_are_a_model_error(tmp_path: Path, models_root: Path) -> None:
    bad = tmp_path / D.DET_FILE
    bad.write_bytes(b"not an onnx file")
    root = tmp_path / "models"
    with pytest.raises(ModelError, match=r"yolox_l\.onnx is not a valid ONNX model"):
        registry.add(D.DET_MODEL, bad, root=root)
    # a file pinned by hand, bypassing `dh models add`, is still caught when it is loaded
    (root / D.DET_MODEL).mkdir(parents=True)
    (root / D.DET_MODEL / D.DET_FILE).write_bytes(bad.read_bytes())
    registry.record_file(D.DET_MODEL, D.DET_FILE, {"sha256": registry.sha256_file(bad)}, root=root)
    registry.add(D.POSE_MODEL, models_root / D.POSE_MODEL / D.POSE_FILE, root=root)
    with pytest.raises(ModelError, match=r"yolox_l\.onnx: cannot load as an ONNX model"):
        D.DWPoseDetector(root)
