"""Regions of a person photo a top concerns: where it is worn, and what stays in front of it."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from dhcore.animate.warp.body import Body, draw_segments


def in_front(body: Body, shape: tuple[int, int]) -> np.ndarray:
    """Head and forearms with hands: drawn over the new top (bool [H, W])."""
    front = np.zeros(shape, bool)
    if body.head_center is not None:
        c = tuple(int(round(v)) for v in body.head_center)
        disc = np.zeros(shape, np.uint8)
        cv2.circle(disc, c, int(round(body.head_radius)), 1, -1)
        front |= disc > 0
    forearms = [s for part in ("r_arm", "l_arm") for s in body.reach(part) if s[0].endswith("forearm")]
    if forearms:
        front |= draw_segments(forearms, shape, 0, max(2, round(0.2 * body.scale))) > 0
    return front


def torso_zone(body: Body, shape: tuple[int, int]) -> np.ndarray:
    """Where a top is worn: the torso polygon, widened, and the upper arms."""
    zone = np.zeros(shape, np.uint8)
    rs, ls, lh, rh = body.torso
    centre = body.torso.mean(axis=0)
    grown = centre + (body.torso - centre) * 1.25
    cv2.fillPoly(zone, [np.round(grown).astype(np.int32)], 1)
    upper = [
        s for part in ("r_arm", "l_arm") for s in body.segments.get(part, []) if not s[0].endswith("forearm")
    ]
    if upper:
        zone |= (draw_segments(upper, shape, 0, max(2, round(0.3 * body.scale))) > 0).astype(np.uint8)
    # not above the shoulder line: an old collar left visible looks better than a smear over the neck
    down = (rh + lh) / 2 - (rs + ls) / 2
    down /= max(np.linalg.norm(down), 1e-6)
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    below = (xs - (rs[0] + ls[0]) / 2) * down[0] + (ys - (rs[1] + ls[1]) / 2) * down[1] > 0
    return (zone > 0) & below


def wear_zone(body: Body, person: np.ndarray, grow: int) -> np.ndarray:
    """Where a top may lie: the torso (widened a little) and the arms, inside the person's outline,
    both grown by `grow` pixels: a sleeve is as wide as the arm, not as the flat lay's. An upper arm
    the pose does not see is taken to hang down beside the torso."""
    zone = np.zeros(person.shape, np.uint8)
    centre = body.torso.mean(axis=0)
    cv2.fillPoly(zone, [np.round(centre + (body.torso - centre) * 1.15).astype(np.int32)], 1)
    arms = [s for part in ("r_arm", "l_arm") for s in body.reach(part)]
    rs, ls, lh, rh = body.torso
    down = (rh + lh) / 2 - (rs + ls) / 2
    down /= max(np.linalg.norm(down), 1e-6)
    for side, shoulder, outward in (("r", rs, rs - ls), ("l", ls, ls - rs)):
        if body.point(f"{side}_elbow") is None:  # a hidden upper arm most likely hangs down
            out = outward / max(np.linalg.norm(outward), 1e-6)
            arms.append((f"{side}_stub", shoulder, shoulder + 0.6 * body.scale * (down + 0.3 * out)))
    if arms:
        zone |= (draw_segments(arms, person.shape, 0, max(2, round(0.3 * body.scale))) > 0).astype(np.uint8)
    for shoulder in (rs, ls):  # the shoulder's round top, above its joint
        cv2.circle(zone, tuple(int(v) for v in np.round(shoulder)), max(2, round(0.25 * body.scale)), 1, -1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return (cv2.dilate(zone, disc) > 0) & (cv2.dilate(person.astype(np.uint8), disc) > 0)


def masked_blur(values: np.ndarray, weight: np.ndarray, sigma: float, with_weight: bool = False) -> Any:
    """Gaussian blur of float32 values inside a region only (normalised): its edge adds no step.
    With `with_weight`, also the blurred weight (how much of the region was near each pixel)."""
    blur = cv2.GaussianBlur(values * weight, (0, 0), sigma)
    near = cv2.GaussianBlur(weight, (0, 0), sigma)
    out = blur / np.maximum(near, 1e-3)
    return (out, near) if with_weight else out
