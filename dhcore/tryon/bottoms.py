"""Bottoms (trousers, shorts): a flat lay's anchors, where they go on the legs, where a bottom lies.

A flat-lay bottom is a waistband above two legs: the waist corners from its top rows, the crotch
where the gap between the legs closes, each leg's hem (outer and inner corner) from its bottom rows
and a knee halfway down each leg. On the person they go to the hips (the waistband a little above the
hip joints and wider than them), the knees and the ankles (pose), so the legs bend with the person's.
A garment without two legs at its hem (a skirt, a dress) is no bottom to this backend.
"""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.animate.warp.body import Body, draw_segments
from dhcore.errors import InputError

LEGS = ("r_leg", "l_leg")


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) column of each run of True in a mask row, left to right."""
    padded = np.r_[False, row, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def anchors(mask: np.ndarray, name: str) -> dict[str, np.ndarray]:
    """Waist corners, crotch, knees and hem corners of a flat-lay bottom ("r_" on the image's left,
    as on a person facing the camera); an InputError when its hem is not two legs."""
    ys = np.nonzero(mask.any(axis=1))[0]
    y0, y1 = int(ys[0]), int(ys[-1])
    height = y1 - y0 + 1
    waist_row = y0 + max(1, round(0.03 * height))
    hem_row = y1 - max(1, round(0.03 * height))
    waist, hem = _runs(mask[waist_row]), _runs(mask[hem_row])
    if len(hem) != 2:
        raise InputError(
            f"{name}: the garment's hem is not two trouser legs ({len(hem)} pieces): the embedded backend "
            "dresses bottoms with two legs; a skirt or a dress it cannot do"
        )
    crotch_y = hem_row
    while crotch_y > waist_row and len(_runs(mask[crotch_y])) >= 2:
        crotch_y -= 1
    gap = _runs(mask[crotch_y + 1])
    crotch_x = (gap[0][1] + gap[1][0]) / 2 if len(gap) >= 2 else (hem[0][1] + hem[1][0]) / 2
    found = {
        "r_waist": np.array([waist[0][0], waist_row], float),
        "l_waist": np.array([waist[-1][1], waist_row], float),
        "crotch": np.array([crotch_x, crotch_y], float),
        "r_hem_out": np.array([hem[0][0], y1], float),
        "r_hem_in": np.array([hem[0][1], y1], float),
        "l_hem_in": np.array([hem[1][0], y1], float),
        "l_hem_out": np.array([hem[1][1], y1], float),
    }
    knee_row = round((waist_row + y1) / 2 + 0.05 * height)  # a knee sits a little below the leg's middle
    knees = _runs(mask[knee_row])
    if len(knees) >= 2:
        found["r_knee"] = np.array([(knees[0][0] + knees[0][1]) / 2, knee_row], float)
        found["l_knee"] = np.array([(knees[-1][0] + knees[-1][1]) / 2, knee_row], float)
    return found


def legs(body: Body, name: str) -> dict[str, np.ndarray]:
    """Hips, knees and ankles in pixels (an ankle out of sight continues the thigh); an InputError
    when a hip or a knee is not visible."""
    found = {}
    for side in ("r", "l"):
        hip, knee, ankle = (body.point(f"{side}_{j}") for j in ("hip", "knee", "ankle"))
        if hip is None or knee is None:
            raise InputError(f"{name}: both hips and knees must be visible to put a bottom on this person")
        found[f"{side}_hip"], found[f"{side}_knee"] = hip, knee
        found[f"{side}_ankle"] = ankle if ankle is not None else knee + (knee - hip)
    return found


def targets(joints: dict[str, np.ndarray], garment: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Where a bottom's anchors go: the waistband 1.5 hip-joint widths wide, a third of that width
    above the joints; the crotch a third below; knees on the knees; hems around the ankles, as wide
    as the garment's own hem relative to its waist."""
    rh, lh = joints["r_hip"], joints["l_hip"]
    width = max(float(np.linalg.norm(lh - rh)), 1.0)
    across = (lh - rh) / width
    mid = (rh + lh) / 2
    down = (joints["r_knee"] + joints["l_knee"]) / 2 - mid
    down /= max(float(np.linalg.norm(down)), 1e-6)
    g_waist = float(np.linalg.norm(garment["l_waist"] - garment["r_waist"]))
    scale = 1.5 * width / max(g_waist, 1.0)
    placed = {
        "r_waist": mid - 0.75 * width * across - 0.33 * width * down,
        "l_waist": mid + 0.75 * width * across - 0.33 * width * down,
        "crotch": mid + 0.33 * width * down,
    }
    for side, outward in (("r", -across), ("l", across)):
        knee, ankle = joints[f"{side}_knee"], joints[f"{side}_ankle"]
        shin = (ankle - knee) / max(float(np.linalg.norm(ankle - knee)), 1e-6)
        out = np.array([-shin[1], shin[0]])
        out = out if float(out @ outward) >= 0 else -out
        half = 0.5 * scale * float(np.linalg.norm(garment[f"{side}_hem_out"] - garment[f"{side}_hem_in"]))
        placed[f"{side}_hem_out"] = ankle + half * out
        placed[f"{side}_hem_in"] = ankle - half * out
        if f"{side}_knee" in garment:
            placed[f"{side}_knee"] = knee
    return placed


def wear_zone(body: Body, person: np.ndarray, grow: int) -> np.ndarray:
    """Where a bottom may lie: the pelvis and the legs (as wide as legs), inside the person's outline."""
    zone = np.zeros(person.shape, np.uint8)
    joints = {n: body.point(n) for n in ("r_hip", "l_hip", "r_knee", "l_knee")}
    if all(v is not None for v in joints.values()):
        rh, lh = joints["r_hip"], joints["l_hip"]
        mid, half = (rh + lh) / 2, (lh - rh) / 2
        down = (joints["r_knee"] + joints["l_knee"]) / 2 - mid
        down = down / max(float(np.linalg.norm(down)), 1e-6) * float(np.linalg.norm(half) * 2)
        pelvis = [mid - 1.6 * half - 0.45 * down, mid + 1.6 * half - 0.45 * down,
                  mid + 1.6 * half + 0.5 * down, mid - 1.6 * half + 0.5 * down]  # fmt: skip
        cv2.fillPoly(zone, [np.round(pelvis).astype(np.int32)], 1)
    bones = [s for part in LEGS for s in body.reach(part)]
    if bones:
        zone |= (draw_segments(bones, person.shape, 0, max(2, round(0.45 * body.scale))) > 0).astype(np.uint8)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return (cv2.dilate(zone, disc) > 0) & (cv2.dilate(person.astype(np.uint8), disc) > 0)
