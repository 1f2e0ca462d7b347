"""The retargeted figure stays in the frame: its head and the body the photo shows around its joints."""

from __future__ import annotations

import numpy as np

from dhcore.demo.dance import make_dance
from dhcore.pose import align as A
from dhcore.pose import framing
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


def _walking_out(seconds: float = 2.0, travel: float = 0.9):
    """The dancer walking sideways out of its own frame: the last third of the frames past the right edge."""
    dance = make_dance(seconds=seconds)
    t = np.linspace(0, 1, len(dance))[:, None, None]
    pts = T.flatten(dance)
    pts[..., :2] = (0.5, 0.5) + 0.4 * (pts[..., :2] - (0.5, 0.5)) + (travel * t - 0.3) * np.array([1.0, 0.0])
    return T.unflatten(pts, dance.width, dance.height, dance.fps)


def _outside(pose, reference, width, height) -> np.ndarray:
    """[F] frames in which a joint the photo shows, or the body around it, lies outside the frame."""
    ref = A.reference_in_output(reference, width, height).body[0]
    reach = framing.margins(ref, ref[:, 2] >= 0.3, width, height)
    shown = framing.shown_inside(ref, ref[:, 2] >= 0.3)
    xy = pose.body[..., :2] * (width, height)
    lo, hi = xy - reach[:, :, 0], xy + reach[:, :, 1]
    out = (lo < -1e-3).any(-1) | (hi > np.array([width, height]) + 1e-3).any(-1)
    return (out & pose.visible() & shown).any(1)


def test_a_driver_walking_out_of_its_frame_leaves_the_figure_at_the_edge():
    driving = _walking_out()
    gone = (driving.body[..., 0] > 1).any(1)
    assert gone.any() and not gone.all()
    photo = make_dance(seconds=1.0).slice(0, 1)  # a full body in the middle of the photo
    free, _ = A.align(photo, driving, A.Params(width=512, height=512, keep_in_frame=False))
    kept, info = A.align(photo, driving, A.Params(width=512, height=512))
    assert _outside(free, photo, 512, 512).any()  # unbounded, the figure follows it out
    assert not _outside(kept, photo, 512, 512).any()  # joints and silhouette margins inside
    # it stops at the edge: the right hand's margin touches it, the figure no longer moves on
    right = np.nanmax(kept.body[gone][:, framing.TRUNK_LIMBS, 0], axis=1) * 512
    assert np.ptp(right) < 30 and right.min() > 512 - 60
    said = [w for w in info.warnings if "driver leaves the frame" in w]
    first, last = np.flatnonzero(gone)[[0, -1]]
    assert len(said) == 1 and "the figure is held inside" in said[0]
    assert f"-{last}" in said[0] and int(said[0].split("frames ")[1].split("-")[0]) <= first


def test_the_silhouette_around_the_joints_stays_in_too():
    """Joints on the frame's edge leave half the body around them outside: a hand past each wrist, an
    arm's width around each elbow. The figure is held by that margin, not by its joints alone."""
    dance = make_dance(seconds=1.0)
    pts = T.flatten(dance)
    vis = T.visible(pts, 0.3)
    ref = pts[0].copy()
    edge = pts.copy()
    edge[..., 0] += (
        1.0 - np.nanmax(np.where(vis[:, : framing.N_BODY], pts[:, : framing.N_BODY, 0], np.nan), 1)[:, None]
    )  # the rightmost joint on the right edge
    out, shifts, _ = framing.keep_in_frame(edge, vis, ref, vis[0], 512, 512)
    reach = framing.margins(ref, vis[0], 512, 512)
    x = np.where(vis[:, : framing.N_BODY], out[:, : framing.N_BODY, 0] * 512, np.nan) + reach[:, 0, 1]
    assert np.nanmax(x) <= 512 + 1e-3 and (shifts[:, 0] < -1).all()
    assert reach[list(framing.WRISTS), 0, 1].min() > reach[J["r_elbow"], 0, 1] > 0


def _coming_closer(seconds: float = 2.0, grow: float = 3.1):
    """The dancer walking towards the camera: larger every frame, about the hips (head and feet
    stay inside the driver's own frame, but a full photo body scaled like it would not fit)."""
    dance = make_dance(seconds=seconds)
    t = np.linspace(0, 1, len(dance))[:, None, None]
    pts = T.flatten(dance)
    centre = np.array([0.5, 0.52])
    pts[..., :2] = centre + (1 + (grow - 1) * t) * 0.42 * (pts[..., :2] - centre)
    return T.unflatten(pts, dance.width, dance.height, dance.fps)


def test_a_figure_larger_than_the_frame_is_shrunk_to_fit():
    driving = _coming_closer()
    assert ((driving.body[:, HEAD, :2] > 0) & (driving.body[:, HEAD, :2] < 1)).all()  # its head stays in
    photo = make_dance(seconds=1.0).slice(0, 1)
    body = photo.body.copy()
    body[..., :2] = (0.5, 0.52) + 1.15 * (body[..., :2] - (0.5, 0.52))
    photo = photo.replace(body=body)  # a full body filling most of the photo's height
    free, _ = A.align(photo, driving, A.Params(width=512, height=512, keep_in_frame=False))
    kept, info = A.align(photo, driving, A.Params(width=512, height=512))
    ref = A.reference_in_output(photo, 512, 512).body[0]
    shown = (ref[:, 2] >= 0.3) & (ref[:, :2] >= 0).all(1) & (ref[:, :2] <= 1).all(1)
    shown[[J[n] for n in ("r_elbow", "r_wrist", "l_elbow", "l_wrist")]] = False  # arms may leave briefly

    def extent(pose):
        ys = np.where(kept.visible()[:, shown], pose.body[:, shown, 1], np.nan)
        return (np.nanmax(ys, axis=1) - np.nanmin(ys, axis=1)) * 512

    radius = 0.6 * np.hypot(*((ref[J["neck"], :2] - ref[J["nose"], :2]) * 512))
    assert (extent(free) + 2.5 * radius > 512).any()  # scaled like the driver, it outgrows the frame
    pts = kept.body[:, shown, :2][kept.visible()[:, shown]]
    # head, trunk and legs the photo shows stay inside; the head's margin shrinks with the figure
    assert (pts >= -1e-3).all() and (pts <= 1 + 1e-3).all()
    assert (_head_top(kept, info.framing_scale * radius) >= -1e-3).all()
    assert info.framing_scale < 0.99 and info.framed_frames > 0
    # the shrink is gradual: the figure's size never jumps by more than a few percent per frame
    size = extent(kept)
    assert np.nanmax(np.abs(np.diff(size)) / size[1:]) < 0.08
    # before it outgrows the frame, the figure is the driver's size, unshrunk
    np.testing.assert_allclose(extent(kept)[:3], extent(free)[:3], rtol=1e-4)


def test_keep_in_frame_shrinks_a_figure_twice_the_frame_and_eases_it():
    dance = make_dance(seconds=1.0)
    pts = T.flatten(dance)
    vis = T.visible(pts, 0.3)
    ref = pts[0].copy()
    grow = np.where(np.arange(len(pts)) < len(pts) // 2, 1.0, 2.0)[:, None, None]  # a sudden jump
    big = pts.copy()
    big[..., :2] = 0.5 + grow * (pts[..., :2] - 0.5)
    out, shifts, scales = framing.keep_in_frame(big, vis, ref, vis[0], 512, 512)
    body = out[:, framing.SIZED, :2][vis[:, framing.SIZED]]
    assert (body >= -1e-6).all() and (body <= 1 + 1e-6).all()
    assert scales[0] == 1.0 and scales[-1] < 0.7
    assert np.abs(np.diff(scales)).max() < 0.1  # eased in over several frames, not one jump


def test_feet_stay_in_the_frame_when_there_is_room_above():
    """An upright driver retargeted onto a crouching photo reaches lower than the photo did: its ankles
    must not sit on the frame's bottom edge (the foot below them cut off) while the head has room."""
    dance = make_dance(seconds=1.0)
    pts = T.flatten(dance)
    vis = T.visible(pts, 0.3)
    ref = pts[0].copy()
    ankles = [J["r_ankle"], J["l_ankle"]]
    low = pts.copy()
    low[..., 1] += 1.0 - np.nanmax(pts[:, ankles, 1], axis=1)[:, None]  # ankles on the bottom edge
    assert np.nanmin(low[:, HEAD, 1]) > 0.2  # room above
    out, shifts, _ = framing.keep_in_frame(low, vis, ref, vis[0], 512, 512)
    neck_nose = np.hypot(*((ref[J["neck"], :2] - ref[J["nose"], :2]) * 512))
    foot = 0.6 * neck_nose
    assert (np.nanmax(out[:, ankles, 1], axis=1) * 512 <= 512 - foot + 1e-3).all()
    assert (shifts[:, 1] < 0).all() and (np.abs(shifts[:, 0]) < 1e-6).all()  # moved up, not sideways


def test_a_portrait_does_not_sink_out_through_its_cut_edge():
    """A photo cut below the shoulders (no hips): a driver walking towards the camera moves the figure
    down; its shoulders keep about their distance to the bottom edge (a head radius at most less),
    where before only the head was kept in and the body sank out, leaving a strip of collar."""
    dance = make_dance(seconds=1.0)
    pts = T.flatten(dance)
    vis = T.visible(pts, 0.3)
    ref, ref_vis = pts[0].copy(), vis[0].copy()
    ref_vis[[J[n] for n in ("r_hip", "l_hip", "r_knee", "l_knee", "r_ankle", "l_ankle")]] = False
    shoulders = [J["neck"], J["r_shoulder"], J["l_shoulder"]]
    sunk = pts.copy()
    sunk[..., 1] += 1.0 - np.nanmax(pts[:, shoulders, 1], axis=1)[:, None]  # shoulders on the bottom edge
    out, shifts, _ = framing.keep_in_frame(sunk, vis, ref, ref_vis, 512, 512)
    radius = 0.6 * np.hypot(*((ref[J["neck"], :2] - ref[J["nose"], :2]) * 512))
    lowest = np.nanmax(out[:, shoulders, 1], axis=1) * 512
    assert (lowest <= np.nanmax(ref[shoulders, 1]) * 512 + radius + 1e-3).all()
    assert (shifts[:, 1] < 0).all()
    # a photo that shows its hips is not held so: the same poses keep only what the frame needs
    out_full, _, _ = framing.keep_in_frame(sunk, vis, ref, vis[0], 512, 512)
    assert (np.nanmax(out_full[:, shoulders, 1], axis=1) * 512 > lowest + 1).any()


def test_where_head_and_body_cannot_both_fit_the_body_is_kept_in_as_far_as_the_head_allows():
    """Arms hanging far below the frame (they are not shrunk for) while the head has some room above:
    the figure rises until its head touches the top, rather than staying where it was."""
    dance = make_dance(seconds=1.0)
    pts = T.flatten(dance)
    vis = T.visible(pts, 0.3)
    ref = pts[0].copy()
    low = pts.copy()
    low[:, [J["r_wrist"], J["l_wrist"]], 1] = 1.3  # far below the bottom edge
    out, shifts, _ = framing.keep_in_frame(low, vis, ref, vis[0], 512, 512)
    reach = framing.margins(ref, vis[0], 512, 512)
    head_top = np.nanmin(np.where(vis[:, HEAD], out[:, HEAD, 1] * 512, np.nan) - reach[HEAD, 1, 0], axis=1)
    assert (shifts[:, 1] < -1).all()  # it rose: the head had room above
    np.testing.assert_allclose(head_top, 0.0, atol=1e-3)  # up to the top edge, and no further
