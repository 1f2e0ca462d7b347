"""An arm the target hides (a side view's far arm) is drawn behind the torso, as the driver has it."""

from __future__ import annotations

import numpy as np
import pytest

from dhcore.animate.warp import WarpBackend, WarpParams
from dhcore.media.frames import iter_frames
from dhcore.pose.keypoints import J
from dhcore.stage import no_progress

W, H = 384, 512
#: the standing figure's joints (pixels), as conftest draws it
FIGURE_JOINTS = {
    "nose": (192, 70), "neck": (192, 120), "r_shoulder": (150, 125), "l_shoulder": (234, 125),
    "r_elbow": (115, 195), "r_wrist": (90, 265), "r_hip": (165, 265), "l_hip": (219, 265),
    "r_knee": (155, 365), "r_ankle": (150, 460), "l_knee": (229, 365), "l_ankle": (234, 460),
    "r_eye": (180, 62), "l_eye": (204, 62), "r_ear": (170, 68), "l_ear": (214, 68),
}  # fmt: skip
#: the left forearm folded across the belly in the photo, from its elbow beside the torso
ELBOW, WRIST = (262.0, 215.0), (172.0, 215.0)


def _frame(scene, helpers, shown: bool) -> np.ndarray:
    ref = helpers.joints_array(FIGURE_JOINTS)
    ref[J["l_elbow"]], ref[J["l_wrist"]] = ELBOW, WRIST
    photo = helpers.draw_figure(ref, W, H)
    target = ref.copy()
    if not shown:  # the driver sees neither the elbow nor the wrist: the arm is behind the body
        target[J["l_elbow"]] = target[J["l_wrist"]] = np.nan
    inputs = scene.inputs(
        photo, helpers.pose_sequence([ref], W, H), helpers.pose_sequence([target], W, H), W, H
    )
    WarpBackend().run(inputs, WarpParams(), scene.root / "out.nut", no_progress)
    return np.concatenate(list(iter_frames(scene.root / "out.nut")))[0].astype(float)


@pytest.mark.parametrize("shown", [True, False])
def test_an_arm_the_target_hides_is_drawn_behind_the_torso(scene, helpers, shown):
    frame = _frame(scene, helpers, shown)
    # the forearm's middle, over the torso
    over = frame[int(WRIST[1]) - 3 : int(WRIST[1]) + 4, 185:215].reshape(-1, 3)
    forearm = np.array(helpers.LIMB_COLOURS["l_forearm"][2], float)
    torso = np.array(helpers.TORSO, float)
    on_arm = float((np.linalg.norm(over - forearm, axis=1) < 45).mean())
    on_torso = float((np.linalg.norm(over - torso, axis=1) < 45).mean())
    if shown:
        assert on_arm >= 0.9, f"the arm the target shows is hidden over the torso ({on_arm:.0%} arm)"
    else:
        assert on_torso >= 0.9 and on_arm <= 0.05, f"{on_arm:.0%} arm, {on_torso:.0%} torso over the belly"


def test_frames_where_the_driver_is_lost_do_not_put_the_arms_behind(scene, helpers):
    """A frame without the driver (no neck: the detector lost it) hides nothing, at the start or for
    longer than _HIDDEN_RUN frames: the arm the photo shows across the belly stays in front."""
    ref = helpers.joints_array(FIGURE_JOINTS)
    ref[J["l_elbow"]], ref[J["l_wrist"]] = ELBOW, WRIST
    lost = np.full_like(ref, np.nan)
    inputs = scene.inputs(
        helpers.draw_figure(ref, W, H),
        helpers.pose_sequence([ref], W, H),
        helpers.pose_sequence([lost, ref, lost, lost, lost, lost], W, H),
        W,
        H,
    )
    WarpBackend().run(inputs, WarpParams(), scene.root / "out.nut", no_progress)
    frames = np.concatenate(list(iter_frames(scene.root / "out.nut"))).astype(float)
    forearm = np.array(helpers.LIMB_COLOURS["l_forearm"][2], float)
    for f in (0, 5):
        over = frames[f, int(WRIST[1]) - 3 : int(WRIST[1]) + 4, 185:215].reshape(-1, 3)
        on_arm = float((np.linalg.norm(over - forearm, axis=1) < 45).mean())
        assert on_arm >= 0.9, f"frame {f}: {on_arm:.0%} arm over the belly"
