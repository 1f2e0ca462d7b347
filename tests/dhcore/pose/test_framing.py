"""The retargeted figure stays in the frame: the head never leaves unless the driver's does."""

from __future__ import annotations

import numpy as np

from dhcore.demo.dance import make_dance
from dhcore.pose import align as A
from dhcore.pose import skeleton_tree as T
from dhcore.pose.keypoints import J

HEAD = [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]


def _walking_away(seconds: float = 2.0, rise: float = 0.35, shrink: float = 0.5):
    """The dancer walking away from the camera: smaller and higher up in the frame every frame
    (a street seen from above), the way a pedestrian video looks."""
    dance = make_dance(seconds=seconds)
    t = np.linspace(0, 1, len(dance))[:, None, None]
    pts = T.flatten(dance)
    anchor = np.array([0.5, 0.95])  # the feet's place on the ground at the start
    pts[..., :2] = anchor + (1 - shrink * t) * (pts[..., :2] - anchor) - (0.0, 1.0) * (rise * t)
    return T.unflatten(pts, dance.width, dance.height, dance.fps)


def _head_top(pose, radius_px: float) -> np.ndarray:
    return np.nanmin(pose.body[:, HEAD, 1], axis=1) * pose.height - 1.5 * radius_px


def test_head_stays_in_the_frame_when_the_driver_walks_away(astronaut_pose):
    driving = _walking_away()
    assert (driving.body[:, HEAD, 1] > 0).all()  # the driver's head stays in its own frame
    free, _ = A.align(astronaut_pose, driving, A.Params(width=512, height=512, keep_in_frame=False))
    kept, info = A.align(astronaut_pose, driving, A.Params(width=512, height=512))
    ref = A.reference_in_output(astronaut_pose, 512, 512).body[0]
    radius = 0.6 * np.hypot(*((ref[J["neck"], :2] - ref[J["nose"], :2]) * 512))
    assert (_head_top(free, radius) < 0).any()  # without framing the head leaves at the top
    assert (_head_top(kept, radius) >= -1e-3).all() and info.framed_frames > 0
    # the shift is a translation: the figure's shape is unchanged
    d_free = free.body[:, J["l_wrist"], :2] - free.body[:, J["neck"], :2]
    d_kept = kept.body[:, J["l_wrist"], :2] - kept.body[:, J["neck"], :2]
    np.testing.assert_allclose(d_free, d_kept, atol=1e-5)


def test_head_may_leave_where_the_drivers_head_does(astronaut_pose):
    driving = _walking_away(rise=0.9, shrink=0.0)
    gone = np.nanmin(driving.body[:, HEAD, 1], axis=1) < 0
    assert gone.any() and not gone.all()
    kept, _ = A.align(astronaut_pose, driving, A.Params(width=512, height=512))
    # where the driver's head is out of its frame, the figure is not pulled back by its head
    last = np.nonzero(gone)[0][-1]
    assert kept.body[last, J["nose"], 1] < 0.1
