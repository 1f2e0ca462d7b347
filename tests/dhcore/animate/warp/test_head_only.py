"""A real photo cut off at the neck (a tight face crop; Grace Hopper cut at her collar), animated: the head
moves as one rigid piece where the target puts it, rolled at most 20 degrees, and nothing is drawn past
the photo's edges (no bottom row stretched into a neck)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.animate.base import AnimateInputs
from dhcore.animate.warp.backend import Puppet, WarpBackend, WarpParams
from dhcore.animate.warp.skeleton import HANDLE_INDEX, turn_of
from dhcore.media.frames import iter_frames
from dhcore.media.geometry import photo_fit
from dhcore.pose import align, extract
from dhcore.pose.head_only import MAX_ROLL
from dhcore.pose.keypoints import J, PoseSequence
from dhcore.spec.dance import photo_canvas
from tests import realdata

FRAMES = 12
_FACE = [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]


def _driver(helpers) -> PoseSequence:  # noqa: ANN001
    """The drawn figure rising 3 px a frame and tilting its head 5 degrees a frame about its neck (to 55)."""
    from tests.dhcore.animate.warp.conftest import FIGURE_JOINTS

    still = helpers.joints_array(FIGURE_JOINTS)
    frames = []
    for f in range(FRAMES):
        joints = helpers.rotate(still, "neck", ["nose", "r_eye", "l_eye", "r_ear", "l_ear"], 5.0 * f)
        frames.append(joints + (0.0, -3.0 * f))
    return helpers.pose_sequence(frames, 384, 512)


def _animated(name: str, rows: int | None, tmp_path: Path, helpers):  # noqa: ANN001, ANN202
    """(fitted photo, target, frames, puppet) of the photo driven by `_driver`."""
    photo = tmp_path / f"{name}.png"
    cv2.imwrite(str(photo), cv2.cvtColor(realdata.rgb(name)[:rows], cv2.COLOR_RGB2BGR))
    ref = extract.STAGE.call(tmp_path / "ref", source=photo)
    assert any("only a head is shown (cut off at the neck)" in w for w in ref.warnings)
    rgb = extract.read_image(photo)
    width, height = photo_canvas(rgb.shape[1::-1])
    aligned = align.STAGE.call(
        tmp_path / "align", align.Params(width=width, height=height),
        reference=ref.outputs["pose"].path, driving=_save(_driver(helpers), tmp_path / "driver.npz"),
    )  # fmt: skip
    inputs = AnimateInputs(
        photo, ref.outputs["pose"].path, aligned.outputs["pose"].path, None, width, height, Fraction(24)
    )
    WarpBackend().run(inputs, WarpParams(), tmp_path / "out.nut", lambda *_: None)
    frames = np.concatenate(list(iter_frames(tmp_path / "out.nut")))
    target = PoseSequence.load(aligned.outputs["pose"].path)
    fitted = photo_fit(rgb.shape[1], rgb.shape[0], width, height).apply(rgb)
    return fitted, target, frames, Puppet.setup(inputs, WarpParams(), target)


def _save(pose: PoseSequence, path: Path) -> Path:
    pose.save(path)
    return path


def _shown_move(photo: np.ndarray, frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The 2x3 affine that carries the photo's masked pixels onto the frame, as the frame shows it
    (ECC image alignment, coarse to fine): measured on the pixels, not read off the animator."""
    gray = [
        cv2.GaussianBlur(cv2.cvtColor(im, cv2.COLOR_RGB2GRAY), (0, 0), 2).astype(np.float32)
        for im in (photo, frame)
    ]
    warp = np.eye(2, 3, dtype=np.float32)
    stop = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
    for scale in (0.25, 0.5, 1.0):
        a, b = (cv2.resize(g, None, fx=scale, fy=scale) for g in gray)
        m = cv2.resize(mask, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        w = warp.copy()
        w[:, 2] *= scale
        _, w = cv2.findTransformECC(a, b, w, cv2.MOTION_AFFINE, stop, m, 5)
        warp = w.copy()
        warp[:, 2] /= scale
    return warp.astype(np.float64)


@pytest.mark.parametrize("name, rows", [("face_crop", None), ("grace_hopper", 370)])
def test_a_head_cut_off_at_the_neck_moves_rigidly_where_the_target_puts_it(
    name: str, rows: int | None, tmp_path: Path, helpers
) -> None:  # noqa: ANN001
    photo, target, frames, puppet = _animated(name, rows, tmp_path, helpers)
    height, width = photo.shape[:2]
    size = np.array([width, height])
    shown = target.visible()
    assert shown[:, _FACE].all() and not np.delete(shown, _FACE, axis=1).any()  # asks for the head alone

    # the head moves with the driver (up) and the frames show it where the target puts it
    face_ref = puppet.poser.ref[_FACE].mean(0)
    centres = target.body[:, _FACE, :2].mean(1) * size
    assert centres[-1][1] - face_ref[1] < -3.0, centres[-1]
    mask = cv2.erode(puppet.filled.astype(np.uint8) * 255, np.ones((31, 31), np.uint8))
    for f in (0, len(frames) // 2, len(frames) - 1):
        shown = _shown_move(photo, frames[f], mask)
        assert np.linalg.norm(shown[:, :2] @ face_ref + shown[:, 2] - centres[f]) < 5.0, (f, shown)
        assert abs(np.degrees(np.arctan2(shown[1, 0], shown[0, 0]))) < MAX_ROLL + 1.0

    eyes = target.body[:, J["l_eye"], :2] * size - target.body[:, J["r_eye"], :2] * size
    ref_eyes = puppet.poser.ref[J["l_eye"]] - puppet.poser.ref[J["r_eye"]]
    roll = np.degrees(np.arctan2(eyes[:, 1], eyes[:, 0]) - np.arctan2(ref_eyes[1], ref_eyes[0]))
    # the tilt follows, limited: to 20 degrees, and (with the rise) by the filled share of the frame
    assert roll[-1] > 1.5 and np.abs(roll).max() <= MAX_ROLL + 1e-6, roll
    head = HANDLE_INDEX["head"]
    for f in range(len(frames)):
        transforms, _ = puppet.poser(target.body[f, :, :2] * size, target.visible()[f])
        assert abs(np.degrees(turn_of(transforms[head]))) <= MAX_ROLL + 1e-6

        # rigid: inside the moved photo the frame is the photo moved; outside it the filled
        # background, never the photo's edge rows or columns dragged along
        move = transforms[head]
        moved = cv2.warpAffine(photo, move, (width, height), flags=cv2.INTER_LINEAR)
        inside = cv2.warpAffine(np.full((height, width), 255, np.uint8), move, (width, height)) > 0
        person = cv2.erode(puppet.filled.astype(np.uint8), np.ones((25, 25), np.uint8))
        solid = cv2.warpAffine(person, move, (width, height), flags=cv2.INTER_NEAREST) > 0
        solid &= cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
        diff = np.abs(frames[f].astype(int) - moved.astype(int)).mean(-1)
        assert solid.mean() > 0.1 and np.median(diff[solid]) < 4.0, (f, np.median(diff[solid]))
        beyond = cv2.dilate(inside.astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
        if beyond.any():
            fill = puppet.background[..., :3].astype(int)
            assert np.abs(frames[f].astype(int) - fill)[beyond].mean() < 3.0, f
