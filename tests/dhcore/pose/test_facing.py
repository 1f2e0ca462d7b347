"""Back views: a driver turned away is shown as a front view, limbs on their own side."""

from __future__ import annotations

import numpy as np

from dhcore.demo.dance import make_dance
from dhcore.pose import align as A
from dhcore.pose import facing
from dhcore.pose import skeleton_tree as T
from dhcore.pose.keypoints import J, PoseSequence

PAIRS = [(J[n], J["l_" + n[2:]]) for n in J if n.startswith("r_")]


def _turned_away(pose: PoseSequence, frames: slice) -> PoseSequence:
    """What a detector reports for a person seen from behind: the person's right on the image's
    right (the labels of the front view swapped), and no face."""
    body, hands, face = pose.body.copy(), pose.hands.copy(), pose.face.copy()
    for r, left in PAIRS:
        body[frames, r], body[frames, left] = pose.body[frames, left], pose.body[frames, r]
    hands[frames] = pose.hands[frames, ::-1]
    body[frames, J["nose"]] = (np.nan, np.nan, 0.0)
    face[frames] = (np.nan, np.nan, 0.0)
    return pose.replace(body=body, hands=hands, face=face)


def test_facing_reads_shoulder_and_hip_order():
    dance = make_dance(seconds=1.0)
    pts = T.flatten(dance)
    vis = T.visible(pts, 0.3)
    assert (facing.facing(pts, vis) == 1).all()
    away = T.flatten(_turned_away(dance, slice(None)))
    assert (facing.facing(away, T.visible(away, 0.3)) == -1).all()


def test_back_view_frames_are_shown_as_front_views_without_crossed_limbs(astronaut_pose):
    dance = make_dance(seconds=2.0)
    driving = _turned_away(dance, slice(20, 40))
    params = A.Params(width=512, height=512)
    out, info = A.align(astronaut_pose, driving, params)
    assert info.back_view_frames == 20
    assert any("turned away" in w and "front views" in w for w in info.warnings)
    body = out.body
    # every frame keeps the photo's side order: the right shoulder and hip on the image's left
    for r, left in ((J["r_shoulder"], J["l_shoulder"]), (J["r_hip"], J["l_hip"])):
        ok = (body[:, r, 2] > 0) & (body[:, left, 2] > 0)
        assert (body[ok, r, 0] < body[ok, left, 0]).all()
    assert (out.face[20:40, :, 2] == 0).all() and (out.face[:20, :, 2] > 0).all()
    # the same motion as detected keeps the crossed order in the turned frames (the old output)
    raw, raw_info = A.align(
        astronaut_pose, driving, A.Params(width=512, height=512, back_views="as_detected")
    )
    assert raw_info.back_view_frames == 0
    assert (raw.body[20:40, J["r_shoulder"], 0] > raw.body[20:40, J["l_shoulder"], 0]).all()


def test_side_view_frames_keep_the_facing_before_them():
    dance = make_dance(seconds=1.0)
    pts = T.flatten(_turned_away(dance, slice(10, 24)))
    # frames 12..15: shoulders and hips nearly on top of each other (a side view)
    for f in range(12, 16):
        for r, left in ((J["r_shoulder"], J["l_shoulder"]), (J["r_hip"], J["l_hip"])):
            mid = (pts[f, r, :2] + pts[f, left, :2]) / 2
            pts[f, r, :2], pts[f, left, :2] = mid + (0.002, 0), mid - (0.002, 0)
    vis = T.visible(pts, 0.3)
    raw = facing.facing(pts, vis)
    assert (raw[12:16] == 0).all()
    _, flipped = facing.as_front_views(pts, vis, 1, 1.0)
    assert not flipped[:10].any() and flipped[10:].all()
