"""face_edit.figures: did the photo change as asked, and is it still the same person?

- edit_achieved: the share of the asked landmark displacement the mesh finds in the result
  (projection of found on asked moves, over the points the edit moves by >= 1 % of the eye distance;
  1 = exactly as asked, 0 = no change); not measured for a colour-only edit.
- edit_error: mean distance between found and asked landmark positions, in eye distances.
- face_distance: identity distance (dlib) of the result against the photo.
- lip_colour_shift: mean Lab a*b* change of the lips towards the asked colour (0 when none asked).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from dhcore.facemesh.edits import Edits
from dhcore.facemesh.expressions import apply
from dhcore.facemesh.identity import IdentityMeter, face_weights
from dhcore.facemesh.landmarks import INNER_LIPS, OUTER_LIPS, eye_distance, one_face
from dhcore.pose.extract import read_image
from dhcore.stage import InputValue, StageContext, StageDef, StageParams, StageResult, port

NAME = "face_edit.figures"
VERSION = "1"
#: points moved less than this (eye distances) by the edit are not counted in edit_achieved
MOVED = 0.01


class Params(StageParams):
    edits: Edits = Edits()


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("photo", "image"), port("result", "image")),
    outputs=(),
    impl="dhcore.faceedit.figures:run",
    weights=face_weights,
)


def displacement_figures(before: np.ndarray, asked: np.ndarray, found: np.ndarray) -> dict[str, float]:
    """edit_achieved and edit_error from the photo's, the asked and the found points [478, 2]."""
    iod = eye_distance(before)
    want, got = (asked[:, :2] - before[:, :2]) / iod, (found[:, :2] - before[:, :2]) / iod
    moved = np.linalg.norm(want, axis=1) >= MOVED
    figures = {"edit_error": float(np.linalg.norm(got - want, axis=1).mean())}
    if moved.any():
        figures["edit_achieved"] = float((got[moved] * want[moved]).sum() / (want[moved] ** 2).sum())
    return figures


def lip_shift(before: np.ndarray, after: np.ndarray, points: np.ndarray, colour: str) -> float:
    mask = np.zeros(before.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points[OUTER_LIPS, :2]).astype(np.int32)], 1)
    cv2.fillPoly(mask, [np.round(points[INNER_LIPS, :2]).astype(np.int32)], 0)
    lab = [cv2.cvtColor(x, cv2.COLOR_RGB2LAB)[mask > 0][:, 1:].astype(np.float64) for x in (before, after)]
    rgb = np.array([[[int(colour[i : i + 2], 16) for i in (1, 3, 5)]]], np.uint8)
    target = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[0, 0, 1:].astype(np.float64)
    return float(
        np.linalg.norm(lab[0] - target, axis=1).mean() - np.linalg.norm(lab[1] - target, axis=1).mean()
    )


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Measure the edited still against the photo."""
    photo_path, result_path = Path(inputs["photo"]), Path(inputs["result"])
    photo, result = read_image(photo_path), read_image(result_path)
    before = one_face(photo, str(photo_path))
    asked = apply(before, params.edits.expression())
    metrics = displacement_figures(before, asked, one_face(result, str(result_path)))
    if not params.edits.moves():
        metrics.pop("edit_achieved", None)
    distance = IdentityMeter(photo, str(photo_path)).distance(result)
    metrics["face_distance"] = distance if distance is not None else float("inf")
    if params.edits.lip_colour:
        metrics["lip_colour_shift"] = lip_shift(photo, result, before, params.edits.lip_colour)
    ctx.progress(1, 1)
    return StageResult(metrics=metrics, frames=1)
