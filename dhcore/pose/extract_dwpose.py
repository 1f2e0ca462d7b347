"""DWPose with onnxruntime: YOLOX-L person boxes, then RTMPose-l whole-body (133 points, SimCC).

Weights come from the model registry (`dwpose_yolox_l`, `dwpose_ll_ucoco_384`); nothing is
downloaded. The pre- and post-processing follows the public DWPose/RTMPose ONNX conventions:
- YOLOX: the BGR image letterboxed into 640x640 at the top-left corner (pad value 114, pixel
  values 0-255, no normalisation); output [1, 8400, 85] = per anchor (dx, dy, log w, log h,
  objectness, 80 class scores) on grids of stride 8, 16, 32, scores already sigmoid-ed.
- RTMPose: the person box padded by 1.25, widened to the 288:384 aspect, cut out with an
  affine warp, RGB normalised with the ImageNet mean/std; outputs simcc_x [1, 133, 576] and
  simcc_y [1, 133, 768] (2 bins per pixel); a point's score is the smaller of its x and y peaks.
- COCO-WholeBody-133 -> dh: body 0-16 (COCO-17) -> OpenPose-18 (neck = shoulder midpoint,
  confidence = the smaller shoulder score), face 23-90 (already iBUG-68 order), left hand
  91-111, right hand 112-132 (already OpenPose hand order). Scores are clipped to [0, 1].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from dhcore.errors import ModelError
from dhcore.models import ids, registry
from dhcore.models.onnx_providers import onnx_providers

DET_MODEL, POSE_MODEL = ids.DWPOSE_DETECTOR, ids.DWPOSE_POSE
DET_FILE, POSE_FILE = "yolox_l.onnx", "dw-ll_ucoco_384.onnx"
STRIDES = (8, 16, 32)
PAD_VALUE = 114
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)
BOX_PADDING = 1.25
SIMCC_SPLIT = 2.0
SCORE_THR, NMS_THR = 0.3, 0.45

#: OpenPose-18 index -> COCO-17 index (neck, index 1, is computed).
BODY18_FROM_COCO17 = (0, -1, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3)
FACE_SLICE, LEFT_HAND_SLICE, RIGHT_HAND_SLICE = slice(23, 91), slice(91, 112), slice(112, 133)


# -- detector: YOLOX ------------------------------------------------------------------------


def letterbox(bgr: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The image scaled to fit (h, w) = size, placed top-left on a 114-grey canvas, and the ratio."""
    h, w = bgr.shape[:2]
    ratio = min(size[0] / h, size[1] / w)
    nh, nw = int(h * ratio), int(w * ratio)
    canvas = np.full((size[0], size[1], 3), PAD_VALUE, np.uint8)
    canvas[:nh, :nw] = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas, ratio


def decode_yolox(raw: np.ndarray, size: tuple[int, int], ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Raw [1, A, 5+C] -> person boxes xyxy in original pixels [A, 4] and scores [A]."""
    pred = raw.reshape(-1, raw.shape[-1]).astype(np.float32)
    grids, strides = [], []
    for s in STRIDES:
        gh, gw = size[0] // s, size[1] // s
        xv, yv = np.meshgrid(np.arange(gw), np.arange(gh))
        grids.append(np.stack([xv, yv], -1).reshape(-1, 2))
        strides.append(np.full((gh * gw, 1), s))
    grid, stride = np.concatenate(grids), np.concatenate(strides)
    if len(grid) != len(pred):
        raise ModelError(f"YOLOX output has {len(pred)} anchors, expected {len(grid)} for input {size}")
    centre = (pred[:, :2] + grid) * stride
    wh = np.exp(np.clip(pred[:, 2:4], -20, 20)) * stride
    boxes = np.concatenate([centre - wh / 2, centre + wh / 2], axis=1) / ratio
    scores = pred[:, 4] * pred[:, 5]  # objectness x P(person)
    return boxes, scores


def nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float = NMS_THR) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best first."""
    order = np.argsort(-scores)
    area = np.maximum(0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0, boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.maximum(0, xx2 - xx1) * np.maximum(0, yy2 - yy1)
        iou = inter / np.maximum(area[i] + area[rest] - inter, 1e-9)
        order = rest[iou <= iou_thr]
    return np.array(keep, dtype=np.int64)


def person_boxes(
    raw: np.ndarray, size: tuple[int, int], ratio: float, image_wh: tuple[int, int]
) -> np.ndarray:
    """Person boxes [n, 5] (x0, y0, x1, y1, score), clipped to the image, best first."""
    boxes, scores = decode_yolox(raw, size, ratio)
    ok = scores > SCORE_THR
    boxes, scores = boxes[ok], scores[ok]
    keep = nms(boxes, scores)
    out = np.concatenate([boxes[keep], scores[keep, None]], axis=1)
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, image_wh[0])
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, image_wh[1])
    return out[(out[:, 2] - out[:, 0] > 1) & (out[:, 3] - out[:, 1] > 1)]


# -- pose: RTMPose SimCC --------------------------------------------------------------------


def box_to_crop(box: np.ndarray, input_wh: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Centre and (w, h) of the region to cut: the box padded by 1.25 and widened to the input aspect."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2], np.float32)
    w, h = (x1 - x0) * BOX_PADDING, (y1 - y0) * BOX_PADDING
    aspect = input_wh[0] / input_wh[1]
    scale = np.array([w, w / aspect] if w > h * aspect else [h * aspect, h], np.float32)
    return centre, scale


def crop_matrix(centre: np.ndarray, scale: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """2x3 affine map from image pixels to crop pixels (no rotation)."""
    s = input_wh[0] / float(scale[0])
    return np.array(
        [[s, 0, input_wh[0] / 2 - s * centre[0]], [0, s, input_wh[1] / 2 - s * centre[1]]], np.float32
    )


def crop_input(
    rgb: np.ndarray, centre: np.ndarray, scale: np.ndarray, input_wh: tuple[int, int]
) -> np.ndarray:
    """The normalised [1, 3, h, w] float32 input for one person."""
    crop = cv2.warpAffine(rgb, crop_matrix(centre, scale, input_wh), input_wh, flags=cv2.INTER_LINEAR)
    norm = (crop.astype(np.float32) - MEAN) / STD
    return np.ascontiguousarray(norm.transpose(2, 0, 1)[None])


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[N, K, Wx], [N, K, Wy] -> crop-pixel locations [N, K, 2] (NaN where no peak) and scores [N, K]."""
    x = np.argmax(simcc_x, axis=-1).astype(np.float32)
    y = np.argmax(simcc_y, axis=-1).astype(np.float32)
    scores = np.minimum(simcc_x.max(-1), simcc_y.max(-1)).astype(np.float32)
    locs = np.stack([x, y], -1) / SIMCC_SPLIT
    locs[scores <= 0] = np.nan
    return locs, scores


def crop_to_image(
    locs: np.ndarray, centre: np.ndarray, scale: np.ndarray, input_wh: tuple[int, int]
) -> np.ndarray:
    """Inverse of the crop: crop pixels -> image pixels."""
    return locs / np.array(input_wh, np.float32) * scale + centre - scale / 2


def wholebody_to_dh(
    xy: np.ndarray, scores: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """133 image-pixel points + scores -> body [18,3], hands [2,21,3], face [68,3], normalized."""
    pts = np.concatenate([xy / (width, height), np.clip(scores, 0, 1)[:, None]], axis=1).astype(np.float32)
    missing = ~np.isfinite(pts[:, 0]) | (scores <= 0)
    pts[missing] = (np.nan, np.nan, 0.0)
    body = pts[[max(i, 0) for i in BODY18_FROM_COCO17]].copy()
    shoulders = pts[[5, 6]]
    if np.isfinite(shoulders[:, 0]).all():
        body[1] = (*shoulders[:, :2].mean(0), shoulders[:, 2].min())
    else:
        body[1] = (np.nan, np.nan, 0.0)
    hands = np.stack([pts[LEFT_HAND_SLICE], pts[RIGHT_HAND_SLICE]])
    face = pts[FACE_SLICE].copy()
    return body, hands, face


# -- the warm detector ----------------------------------------------------------------------


def _session(path: Path):  # noqa: ANN202 - onnxruntime type
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=onnx_providers())
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise ModelError(f"{path}: cannot load as an ONNX model ({exc})") from exc


def _static_hw(shape: list[object], default: tuple[int, int], path: Path) -> tuple[int, int]:
    if len(shape) != 4:
        raise ModelError(f"{path}: input has rank {len(shape)}, expected 4 (N, 3, H, W)")
    h, w = shape[2], shape[3]
    return (h, w) if isinstance(h, int) and isinstance(w, int) else default


class DWPoseDetector:
    """Both ONNX sessions, loaded once per stage run; `detect` handles one RGB frame."""

    name = "dwpose"

    def __init__(self, models_root: Path | None = None) -> None:
        det_path = registry.resolve(DET_MODEL, models_root) / DET_FILE
        pose_path = registry.resolve(POSE_MODEL, models_root) / POSE_FILE
        self._det, self._pose = _session(det_path), _session(pose_path)
        self.det_hw = _static_hw(self._det.get_inputs()[0].shape, (640, 640), det_path)
        ph, pw = _static_hw(self._pose.get_inputs()[0].shape, (384, 288), pose_path)
        self.pose_wh = (pw, ph)
        outs = self._pose.get_outputs()
        if len(outs) != 2 or any(len(o.shape) != 3 for o in outs):
            raise ModelError(f"{pose_path}: expected two rank-3 outputs (simcc_x, simcc_y)")
        self._det_in, self._pose_in = self._det.get_inputs()[0].name, self._pose.get_inputs()[0].name
        self._simcc_names = [o.name for o in outs]

    @classmethod
    def open(cls, params: Any, video: bool, models_root: Path | None) -> DWPoseDetector:
        """The pose.extract stage's constructor (dhcore.pose.detectors); frames are detected one by one."""
        return cls(models_root)

    def boxes(self, rgb: np.ndarray) -> np.ndarray:
        """Person boxes [n, 5] in image pixels, best first."""
        padded, ratio = letterbox(np.ascontiguousarray(rgb[..., ::-1]), self.det_hw)
        blob = np.ascontiguousarray(padded.transpose(2, 0, 1)[None], dtype=np.float32)
        raw = self._det.run(None, {self._det_in: blob})[0]
        return person_boxes(raw, self.det_hw, ratio, (rgb.shape[1], rgb.shape[0]))

    def keypoints(self, rgb: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """133 points in image pixels [133, 2] and scores [133] for the person in `box`."""
        centre, scale = box_to_crop(box, self.pose_wh)
        blob = crop_input(rgb, centre, scale, self.pose_wh)
        simcc_x, simcc_y = self._pose.run(self._simcc_names, {self._pose_in: blob})
        locs, scores = decode_simcc(simcc_x, simcc_y)
        return crop_to_image(locs[0], centre, scale, self.pose_wh), scores[0]

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The main person (largest box) of one RGB frame in the dh layout; all missing if none."""
        h, w = rgb.shape[:2]
        boxes = self.boxes(rgb)
        if len(boxes) == 0:
            return wholebody_to_dh(np.full((133, 2), np.nan), np.zeros(133), w, h)
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        xy, scores = self.keypoints(rgb, boxes[int(np.argmax(areas))])
        return wholebody_to_dh(xy, scores, w, h)

    def close(self) -> None:
        self._det = self._pose = None

    def __enter__(self) -> DWPoseDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
