"""Stage `pose.render`: OpenPose/DWPose-style skeleton images.

Diffusion backends (ControlNet, AnimateAnyone, MusePose...) were trained on skeletons drawn
by the DWPose/ControlNet annotator, so this follows its convention: black canvas, the 17 body
limbs as filled ellipses (half-width `stickwidth`) in the 18 standard colours (RGB order, as
the annotator's arrays are used as RGB images), the limb layer dimmed to 60 %, then the 18
joints as dots of radius 4 in the same colours; hand bones as 2-px lines coloured by hue
(edge k of 20 at hue k/20), hand joints as blue dots of radius 4; optional face points as
white dots of radius 3. Sizes are those of a 512-px canvas, scaled by min(W, H) / 512.
A point is drawn when its confidence reaches `min_confidence` (0.3, as the annotator).
"""

from __future__ import annotations

import colorsys
import math
from pathlib import Path

import cv2
import numpy as np

from dhcore.media.frames import FrameWriter
from dhcore.pose.keypoints import BODY_LIMBS, HAND_BONES, PoseSequence
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "pose.render"
VERSION = "1"
CHUNK = 16

BODY_COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
HAND_COLORS = tuple(
    tuple(int(c * 255) for c in colorsys.hsv_to_rgb(k / len(HAND_BONES), 1.0, 1.0))
    for k in range(len(HAND_BONES))
)
HAND_DOT, FACE_DOT = (0, 0, 255), (255, 255, 255)
_DIM = (np.arange(256) * 0.6).astype(np.uint8)


class Params(StageParams):
    width: int | None = None  # default: the pose's width
    height: int | None = None
    hands: bool = True
    face: bool = False
    min_confidence: float = 0.3


def _sizes(width: int, height: int) -> tuple[int, int, int, int, int]:
    """stickwidth, joint radius, hand line width, hand dot radius, face dot radius."""
    s = min(width, height) / 512
    return tuple(max(1, round(v * s)) for v in (4, 4, 2, 4, 3))  # type: ignore[return-value]


def draw_skeleton(
    canvas: np.ndarray, body: np.ndarray, hands: np.ndarray | None = None, face: np.ndarray | None = None,
    min_confidence: float = 0.3,
) -> np.ndarray:  # fmt: skip
    """Draw one pose (normalized coordinates) onto a black RGB canvas in place; returns it."""
    h, w = canvas.shape[:2]
    stick, joint_r, hand_w, hand_r, face_r = _sizes(w, h)

    def pixels(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = (points[..., 2] >= min_confidence) & np.isfinite(points[..., 0]) & np.isfinite(points[..., 1])
        xy = np.where(ok[..., None], points[..., :2], 0.0) * (w, h)
        return xy, ok

    bxy, bok = pixels(body)
    for i, (a, b) in enumerate(BODY_LIMBS):
        if not (bok[a] and bok[b]):
            continue
        (x0, y0), (x1, y1) = bxy[a], bxy[b]
        length = math.hypot(x0 - x1, y0 - y1)
        angle = math.degrees(math.atan2(y0 - y1, x0 - x1))
        centre = (int((x0 + x1) / 2), int((y0 + y1) / 2))
        poly = cv2.ellipse2Poly(centre, (int(length / 2), stick), int(angle), 0, 360, 1)
        cv2.fillConvexPoly(canvas, poly, BODY_COLORS[i])
    cv2.LUT(canvas, _DIM, dst=canvas)
    for i in range(len(bxy)):
        if bok[i]:
            cv2.circle(canvas, (int(bxy[i, 0]), int(bxy[i, 1])), joint_r, BODY_COLORS[i], thickness=-1)
    if hands is not None:
        for hand in hands:
            hxy, hok = pixels(hand)
            for k, (a, b) in enumerate(HAND_BONES):
                if hok[a] and hok[b]:
                    p0, p1 = (int(hxy[a, 0]), int(hxy[a, 1])), (int(hxy[b, 0]), int(hxy[b, 1]))
                    cv2.line(canvas, p0, p1, HAND_COLORS[k], thickness=hand_w)
            for i in np.flatnonzero(hok):
                cv2.circle(canvas, (int(hxy[i, 0]), int(hxy[i, 1])), hand_r, HAND_DOT, thickness=-1)
    if face is not None:
        fxy, fok = pixels(face)
        for i in np.flatnonzero(fok):
            cv2.circle(canvas, (int(fxy[i, 0]), int(fxy[i, 1])), face_r, FACE_DOT, thickness=-1)
    return canvas


def render_frame(
    pose: PoseSequence, index: int, width: int | None = None, height: int | None = None,
    *, hands: bool = True, face: bool = False, min_confidence: float = 0.3,
) -> np.ndarray:  # fmt: skip
    """Frame `index` of `pose` as a skeleton image [H, W, 3] uint8 RGB (conditioning image)."""
    w, h = width or pose.width, height or pose.height
    canvas = np.zeros((h, w, 3), np.uint8)
    return draw_skeleton(
        canvas, pose.body[index], pose.hands[index] if hands else None, pose.face[index] if face else None,
        min_confidence,
    )  # fmt: skip


def overlay(image: np.ndarray, pose: PoseSequence, index: int, **kwargs: object) -> np.ndarray:
    """The skeleton of frame `index` drawn over an RGB image of the pose's output size."""
    h, w = image.shape[:2]
    skel = render_frame(pose, index, w, h, **kwargs)  # type: ignore[arg-type]
    mask = skel.any(axis=-1)
    out = image.copy()
    out[mask] = skel[mask]
    return out


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("pose", "pose"),),
    outputs=(port("skeleton", "frames"),),
    impl="dhcore.pose.render:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Render every frame of a PoseSequence file into a frames file (FrameWriter)."""
    out_path, progress = Path(out_dir) / "skeleton.nut", ctx.progress
    pose = PoseSequence.load(Path(inputs["pose"]))
    w, h = params.width or pose.width, params.height or pose.height
    n = len(pose)
    with FrameWriter(out_path, pose.fps, w, h) as writer:
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            chunk = np.zeros((stop - start, h, w, 3), np.uint8)
            for k, i in enumerate(range(start, stop)):
                draw_skeleton(
                    chunk[k], pose.body[i], pose.hands[i] if params.hands else None,
                    pose.face[i] if params.face else None, params.min_confidence,
                )  # fmt: skip
            writer.write(chunk)
            progress(stop, n)
    meta = {"width": w, "height": h, "fps": pose.fps, "frames": n}
    return StageResult(outputs={"skeleton": Output(path=Path(out_path), kind="frames", meta=meta)}, frames=n)
