"""A bust (a photo cut below the shoulders) leans a little and never shows its cut: Grace Hopper's
portrait driven by the real pedestrian clip (dance_real's walker_half_body), and the rule's limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dhcore.animate.warp.backend import Puppet, WarpParams
from dhcore.animate.warp.raster import skin
from dhcore.animate.warp.skeleton import _MAX_TURN, _PORTRAIT_LEAN, HANDLE_INDEX, Poser, turn_of
from dhcore.pose.keypoints import J, PoseSequence
from tests.dhcore.animate.warp.test_skeleton import _portrait


@pytest.fixture(scope="module")
def hopper(tmp_path_factory, helpers):
    """Grace Hopper's portrait and the real walker's poses retargeted onto it, as dance_real makes them:
    (animator inputs, target poses, canvas width, height)."""
    inputs, target, width, height = helpers.walker_driven("grace_hopper", tmp_path_factory.mktemp("hopper"))
    return inputs, PoseSequence.load(target), width, height


def test_grace_hoppers_bust_keeps_its_cut_below_the_canvas_and_leans_little(hopper):
    """The walker seen from the side tilts its shoulder line 30-57 degrees in its first frames: the
    portrait turned with it like a cardboard cut-out, its straight bottom cut running across the
    canvas up to 150 px above the bottom edge, sky below it. Now the torso turns at most
    _PORTRAIT_LEAN from the photo's and the person's cut stays at or below the canvas bottom."""
    inputs, target, width, height = hopper
    params = WarpParams()
    puppet = Puppet.setup(inputs, params, target)
    poser, core = puppet.poser, puppet.rig.layers["core"]
    assert not (poser.ref_ok[J["r_hip"]] or poser.ref_ok[J["l_hip"]])  # a bust
    # the person's bottom edge in the photo: opaque core vertices within a mesh row of the cut
    h, w = core.texture.shape[:2]
    xy = np.round(core.vertices - core.origin).astype(int)
    opaque = core.texture[xy[:, 1].clip(0, h - 1), xy[:, 0].clip(0, w - 1), 3]
    cut = (core.vertices[:, 1] >= height - 3) & (opaque >= 128)
    assert cut.sum() >= 20 and np.ptp(core.vertices[cut, 0]) > 0.6 * width  # the jacket, cut across
    tgt = target.body[..., :2].astype(np.float64) * (width, height)
    ok = (target.body[..., 2] >= params.confidence) & np.isfinite(tgt).all(-1)
    turns, lowest = [], []
    for f in range(len(target)):
        transforms, _ = poser(np.nan_to_num(tgt[f]), ok[f])
        turns.append(np.degrees(turn_of(transforms[HANDLE_INDEX["torso"]])))
        lowest.append(skin(core, transforms)[cut, 1].min())
    assert max(abs(t) for t in turns) <= _PORTRAIT_LEAN + 1e-6, turns
    assert min(lowest) >= height - 1.0, lowest
    assert max(abs(t) for t in turns) >= 5.0  # it still leans with the walker


def test_grace_hoppers_sleeves_move_with_the_torso_under_them(hopper):
    """Her elbows lie below the photo's bottom edge. Turned to the walker's elbows, her sleeves swung
    over her lapels and off her sides: in frame 0 the torso's fill under the right sleeve showed as a
    dark grey slab at the left edge, 75 px wide (7719 px of the core's under-sleeve pixels bared in all,
    up to 229 in frames 1-5). Skinned as the torso under them is, they keep it covered: the core is
    drawn with its under-sleeve pixels magenta, the sleeves black over it, and no magenta shows."""
    inputs, target, width, height = hopper
    params = WarpParams()
    puppet = Puppet.setup(inputs, params, target)
    core, sleeves = puppet.rig.layers["core"], [puppet.rig.layers[p] for p in ("r_arm", "l_arm")]
    h, w = core.texture.shape[:2]
    under = np.zeros((h, w), bool)
    for sleeve in sleeves:
        ys, xs = np.nonzero(sleeve.texture[..., 3] >= 128)
        cx = np.round(xs + sleeve.origin[0] - core.origin[0]).astype(int)
        cy = np.round(ys + sleeve.origin[1] - core.origin[1]).astype(int)
        inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        under[cy[inside], cx[inside]] = True
    assert under.sum() > 20000  # the sleeves cover much of the torso's sides
    marked = core.texture.copy()
    marked[..., :3] = (0, 255, 0)
    marked[under, :3] = (255, 0, 255)
    drawn = [(replace(core, texture=marked), core)]
    for sleeve in sleeves:
        black = sleeve.texture.copy()
        black[..., :3] = 0
        drawn.append((replace(sleeve, texture=black), sleeve))
    tgt = target.body[..., :2].astype(np.float64) * (width, height)
    ok = (target.body[..., 2] >= params.confidence) & np.isfinite(tgt).all(-1)
    bared = []
    for f in range(6):
        transforms, _ = puppet.poser(np.nan_to_num(tgt[f]), ok[f])
        frame = np.zeros((height, width, 4), np.uint8)
        for layer, layout in drawn:
            puppet.canvas.draw(frame, layer, skin(layout, transforms))
        magenta = (frame[..., 0] > 128) & (frame[..., 2] > 128) & (frame[..., 1] < 64)
        bared.append((int(magenta.sum()), int(magenta.sum(axis=1).max())))
    # a feathered seam's pixels at most: under 100 px a frame, none a row wider than 8 px
    assert all(total < 100 and row <= 8 for total, row in bared), bared


def _bust() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A frontal head-and-shoulders pose (pixels), its ok mask and its bottom cut (canvas 200x200)."""
    return (*_portrait(), np.array([[30.0, 200.0], [170.0, 200.0]]))


def _tilted(ref: np.ndarray, degrees: float, about: str = "neck") -> np.ndarray:
    t = np.deg2rad(degrees)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return (ref - ref[J[about]]) @ rot.T + ref[J[about]]


@pytest.mark.parametrize("degrees", [-40.0, -20.0, 8.0, 35.0])
def test_a_bust_leans_at_most_its_limit_and_never_lifts_its_cut(degrees):
    ref, ok, cut = _bust()
    tgt = _tilted(ref, degrees) + (0.0, 40.0)  # sunk a little: room to lean
    out, _ = Poser(ref, ok, cut)(tgt, ok)
    torso = out[HANDLE_INDEX["torso"]]
    ends = cut @ torso[:, :2].T + torso[:, 2]
    assert abs(np.degrees(turn_of(torso))) <= _PORTRAIT_LEAN + 1e-6
    assert (ends[:, 1] >= 200.0 - 1e-6).all()
    if abs(degrees) <= 10:  # a lean within the limit whose cut stays down is followed exactly
        np.testing.assert_allclose(np.degrees(turn_of(torso)), degrees, atol=1e-6)


def test_a_bust_at_the_photos_height_stands_upright_and_a_raised_one_grows_or_sinks():
    """Any lean lifts one end of a cut lying on the canvas bottom: a bust placed where the photo has
    it stands upright; one raised above it grows about its neck and shoulders, then sinks."""
    ref, ok, cut = _bust()
    out, _ = Poser(ref, ok, cut)(_tilted(ref, 30.0), ok)
    torso = out[HANDLE_INDEX["torso"]]
    assert np.degrees(turn_of(torso)) == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose((cut @ torso[:, :2].T + torso[:, 2])[:, 1], 200.0, atol=1e-6)
    raised = ref.copy()
    raised[[J["neck"], J["r_shoulder"], J["l_shoulder"]]] -= (0.0, 30.0)
    out, _ = Poser(ref, ok, cut)(raised, ok)
    torso = out[HANDLE_INDEX["torso"]]
    assert np.hypot(*torso[:, 0]) > 1.2  # grown: its cut 87 px below the shoulders reaches 200 again
    assert (cut @ torso[:, :2].T + torso[:, 2])[:, 1].min() == pytest.approx(200.0, abs=1e-6)


def test_a_full_body_photo_is_posed_exactly_as_without_the_rule():
    """A photo showing hips has no bottom cut to hide: its transforms are the same with or without a cut
    given, and its torso follows a 40-degree turn (the bust's limit does not apply)."""
    ref, ok, cut = _bust()
    ref[[J["r_hip"], J["l_hip"]]] = [(70, 190), (130, 190)]
    ok[[J["r_hip"], J["l_hip"]]] = True
    tgt = _tilted(ref, -40.0)
    plain, with_cut = Poser(ref, ok), Poser(ref, ok, cut)
    for shift in (0.0, -30.0, 20.0):
        a, _ = plain(tgt + (0.0, shift), ok)
        b, _ = with_cut(tgt + (0.0, shift), ok)
        np.testing.assert_array_equal(a, b)
    assert np.degrees(turn_of(a[HANDLE_INDEX["torso"]])) == pytest.approx(-40.0, abs=1e-6)
    assert _MAX_TURN["torso"] > 40.0
