"""The try-on model's inputs from a person photo, its keypoints and a garment photo, and back.

Photos are resized to fit the model's size and padded (white, centred), as the release does, so
the body keeps its proportions; `unpad` cuts the result back to the photo's size. The person's pose
is drawn from the keypoints dh already extracted (OpenPose-18 limbs, one channel) in place of the
release's DWPose drawing. The clothing-agnostic photo greys out where the new garment may go: the
hull of the joints it covers (a top: shoulders to hips with the arms; a bottom: hips to ankles; a
dress: to the knees; down to the photo's edge when those joints are out of it), grown by a share of the shoulder width, in place of the release's human parser.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dhcore.pose.keypoints import BODY_LIMBS, J, PoseSequence

CONFIDENCE = 0.3
PAD = 255
#: joints whose hull the garment may cover, per category
COVERED = {
    "top": ("neck", "r_shoulder", "l_shoulder", "r_elbow", "l_elbow", "r_hip", "l_hip"),
    "bottom": ("r_hip", "l_hip", "r_knee", "l_knee", "r_ankle", "l_ankle"),
    "dress": ("neck", "r_shoulder", "l_shoulder", "r_hip", "l_hip", "r_knee", "l_knee"),
}


@dataclass(frozen=True)
class Box:
    """Where the resized photo sits in the padded canvas: x, y, width, height."""

    x: int
    y: int
    w: int
    h: int


def resize_pad(image: np.ndarray, height: int, width: int, fill: int = PAD) -> tuple[np.ndarray, Box]:
    scale = min(height / image.shape[0], width / image.shape[1])
    w, h = max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))
    resized = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    canvas = np.full((height, width, *image.shape[2:]), fill, dtype=image.dtype)
    box = Box((width - w) // 2, (height - h) // 2, w, h)
    canvas[box.y : box.y + h, box.x : box.x + w] = resized
    return canvas, box


def unpad(image: np.ndarray, box: Box, height: int, width: int) -> np.ndarray:
    crop = image[box.y : box.y + box.h, box.x : box.x + box.w]
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)


def _joints(pose: PoseSequence, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Joints in canvas pixels and which are visible."""
    body = pose.body[0]
    xy = body[:, :2].astype(np.float64) * (box.w, box.h) + (box.x, box.y)
    return xy, (body[:, 2] >= CONFIDENCE) & np.isfinite(xy).all(axis=1)


def pose_drawing(pose: PoseSequence, box: Box, height: int, width: int) -> np.ndarray:
    """One-channel uint8 drawing of the visible limbs (white on black)."""
    xy, ok = _joints(pose, box)
    canvas = np.zeros((height, width), np.uint8)
    thickness = max(1, round(max(height, width) / 200))
    for a, b in BODY_LIMBS:
        if ok[a] and ok[b]:
            cv2.line(canvas, tuple(np.round(xy[a]).astype(int)), tuple(np.round(xy[b]).astype(int)), 255,
                     thickness, cv2.LINE_AA)  # fmt: skip
    for i in np.flatnonzero(ok):
        cv2.circle(canvas, tuple(np.round(xy[i]).astype(int)), thickness * 2, 255, -1, cv2.LINE_AA)
    return canvas


def garment_area(
    pose: PoseSequence, box: Box, height: int, width: int, category: str, grow: float = 0.25
) -> np.ndarray:
    """Bool mask of where the garment may go: the visible covered joints' hull, grown by `grow`
    shoulder widths, down to the photo's bottom edge when the garment's lowest joints are not in it
    (empty when fewer than three of them are visible)."""
    xy, ok = _joints(pose, box)
    names = [J[n] for n in COVERED[category] if ok[J[n]]]
    mask = np.zeros((height, width), np.uint8)
    if len(names) < 3:
        return mask > 0
    points = xy[names]
    lowest = COVERED[category][-2:]
    if not all(ok[J[n]] for n in lowest):  # the garment's lower end is out of the photo: to its edge
        edge = np.full(len(points), box.y + box.h - 1.0)
        points = np.concatenate([points, np.stack([points[:, 0], edge], 1)])
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    shoulders = [J["r_shoulder"], J["l_shoulder"]]
    span = float(np.linalg.norm(xy[shoulders[0]] - xy[shoulders[1]])) if ok[shoulders].all() else 0.0
    span = span or 0.25 * box.w
    r = max(1, round(grow * span))
    grown = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) > 0
    inside = np.zeros_like(grown)
    inside[box.y : box.y + box.h, box.x : box.x + box.w] = True
    return grown & inside


def to_tensor(image: np.ndarray):  # noqa: ANN201 - torch imported lazily
    """uint8 HxW(xC) -> float [1, C, H, W] in [-1, 1]."""
    import torch

    array = image[..., None] if image.ndim == 2 else image
    return torch.from_numpy(array.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None]


def from_tensor(x) -> np.ndarray:  # noqa: ANN001
    """[1, C, H, W] in [-1, 1] -> uint8 HxWxC."""
    return ((x[0].permute(1, 2, 0).cpu().numpy() + 1.0) * 127.5 + 0.5).clip(0, 255).astype(np.uint8)
