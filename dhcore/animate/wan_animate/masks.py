"""Replace mode's inputs: the driving frames on the output canvas and where the person is in them.

Wan-Animate's replace mode regenerates the white part of a mask video and keeps the black part of
the background video. The mask here is the person's region from the poses dh already has: the
convex hull of every visible body, hand and face point, grown by a margin (a fraction of the
hull's height) so hair, clothes and the new character's different build fit inside.
"""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.pose.keypoints import PoseSequence


def person_mask(
    pose: PoseSequence, index: int, width: int, height: int, margin: float, min_confidence: float = 0.3
) -> np.ndarray:
    """uint8 [H, W]: 255 inside the person's grown hull, 0 elsewhere (all 0 without two visible points)."""
    points = np.concatenate([pose.body[index], pose.hands[index].reshape(-1, 3), pose.face[index]])
    xy = points[points[:, 2] >= min_confidence, :2] * (width, height)
    mask = np.zeros((height, width), np.uint8)
    if len(xy) < 2:
        return mask
    hull = cv2.convexHull(np.round(xy).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    grow = int(round(margin * max(float(np.ptp(xy[:, 1])), float(np.ptp(xy[:, 0])))))
    if grow > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        mask = cv2.dilate(mask, kernel)
    return mask
