"""body_in_frame: the body the photo shows, placed by the target, stays inside the canvas."""

from __future__ import annotations

import numpy as np
import pytest

from dhcore.demo.dance import make_dance
from dhcore.metrics import in_frame
from dhcore.pose import align as A
from dhcore.pose import framing
from dhcore.pose import skeleton_tree as T
from dhcore.pose.keypoints import J

GATE = 0.95


def _share(flags: list[bool | None]) -> float:
    judged = [f for f in flags if f is not None]
    return float(np.mean(judged))


def test_a_figure_pushed_against_the_edge_is_out_though_its_joints_are_in() -> None:
    dance = make_dance(seconds=1.0)
    photo = dance.slice(0, 1)
    assert all(in_frame.frames_inside(dance, photo))  # the dancer in the middle of its frame
    pushed = dance.replace(body=dance.body.copy())
    seen = pushed.visible()
    right = np.nanmax(np.where(seen, pushed.body[..., 0], np.nan), axis=1)
    half = len(dance) // 2
    pushed.body[half:, :, 0] += 1.0 - right[half:, None]  # the rightmost joint on the right edge
    assert (pushed.body[..., 0][pushed.visible()] <= 1.0 + 1e-6).all()  # every joint still inside
    flags = in_frame.frames_inside(pushed, photo)
    assert flags[:half] == [True] * half and not any(flags[half:])  # the hand past it is not
    assert _share(flags) < GATE
    # moved back from the edge by the widest margin (a hand), it is in
    reach = framing.margins(A.reference_in_output(photo, 512, 512).body[0], photo.visible()[0], 512, 512)
    back = pushed.replace(body=pushed.body.copy())
    back.body[half:, :, 0] -= reach[:, 0, 1].max() / 512
    assert all(in_frame.frames_inside(back, photo))


def test_a_portrait_cut_at_its_bottom_edge_may_touch_it() -> None:
    """What the photo cuts at its edge is drawn cut there: a half-body figure placed as the photo
    shows it is inside, though its shoulders lie near the bottom edge."""
    photo = make_dance(seconds=1.0).slice(0, 1)
    body = photo.body.copy()
    body[..., 1] += 0.98 - body[0, J["r_shoulder"], 1]  # shoulders near the photo's bottom edge
    below = [J[n] for n in ("r_hip", "l_hip", "r_knee", "l_knee", "r_ankle", "l_ankle", "r_elbow", "l_elbow",
                            "r_wrist", "l_wrist")]  # fmt: skip
    body[:, below, 2] = 0.0
    portrait = photo.replace(body=body)
    assert in_frame.frames_inside(portrait, portrait) == [True]
    nothing = portrait.replace(body=np.zeros_like(body))
    assert in_frame.frames_inside(nothing, portrait) == [None]


def _walking_out(seconds: float = 2.0):
    """The dancer walking sideways out of its own frame (the last third past the right edge)."""
    dance = make_dance(seconds=seconds)
    t = np.linspace(0, 1, len(dance))[:, None, None]
    pts = T.flatten(dance)
    pts[..., :2] = (0.5, 0.5) + 0.4 * (pts[..., :2] - (0.5, 0.5)) + (0.9 * t - 0.3) * np.array([1.0, 0.0])
    return T.unflatten(pts, dance.width, dance.height, dance.fps)


@pytest.mark.parametrize("width,height", [(512, 512), (512, 320)])
def test_the_gate_fails_without_framing_and_passes_with_it(width: int, height: int) -> None:
    driving = _walking_out()
    photo = make_dance(seconds=1.0).slice(0, 1)
    free, _ = A.align(photo, driving, A.Params(width=width, height=height, keep_in_frame=False))
    kept, _ = A.align(photo, driving, A.Params(width=width, height=height))
    assert _share(in_frame.frames_inside(free, photo)) < GATE
    assert _share(in_frame.frames_inside(kept, photo)) == 1.0
