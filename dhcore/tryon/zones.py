"""Regions of a person photo a top concerns: where it is worn, and what stays in front of it."""

from __future__ import annotations

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
