"""pose.align: the invariants of pose_alignment.md, the fixed weaknesses, and the stage contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhcore.errors import InputError
from dhcore.media.geometry import photo_fit
from dhcore.pose import align as A
from dhcore.pose import skeleton_tree as T
from dhcore.pose.keypoints import HAND_BONES, J, PoseSequence

NECK = J["neck"]
#: the retarget alone, as pose_alignment.md states it: no back-view swap, no framing shift
RAW = {"back_views": "as_detected", "keep_in_frame": False}
SIZES = [(512, 512), (512, 600), (640, 360), (360, 640)]


def _pose(flat: np.ndarray, size: tuple[int, int], fps: float = 24.0) -> PoseSequence:
    return T.unflatten(flat, size[0], size[1], fps)


def _random_points(rng: np.random.Generator, frames: int, p_missing: float) -> np.ndarray:
    pts = np.empty((frames, T.N_POINTS, 3))
    pts[..., :2] = rng.uniform(0.05, 0.95, (frames, T.N_POINTS, 2))
    pts[..., 2] = rng.uniform(0.35, 1.0, (frames, T.N_POINTS))
    miss = rng.random((frames, T.N_POINTS)) < p_missing
    pts[miss] = (np.nan, np.nan, 0.0)
    low = rng.random((frames, T.N_POINTS)) < p_missing / 4  # present but under the threshold
    pts[low & ~miss, 2] = 0.1
    return pts


def _common(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return points[..., :2] * (size[0] / size[1], 1.0)


def _ref_in_output(xy: np.ndarray, ref_size: tuple[int, int], out_size: tuple[int, int]) -> np.ndarray:
    fit = photo_fit(ref_size[0], ref_size[1], out_size[0], out_size[1])
    return _common(fit.to_output_normalized(xy[None])[0].astype(np.float64), out_size)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    method=st.sampled_from(["musepose", "unianimate"]),
    p_missing=st.floats(0.0, 0.5),
    frames=st.integers(1, 10),
    auto=st.booleans(),
    ref_size=st.sampled_from(SIZES),
    drv_size=st.sampled_from(SIZES),
    out_size=st.sampled_from(SIZES),
)
def test_alignment_invariants_hold_for_any_visibility(
    seed: int, method: str, p_missing: float, frames: int, auto: bool,
    ref_size: tuple[int, int], drv_size: tuple[int, int], out_size: tuple[int, int],
) -> None:  # fmt: skip
    """Missing in -> missing out; neck path = driving neck path + t; every bone = scale x driving bone
    (same direction, length times the scale the alignment reports); no NaN/inf anywhere else."""
    rng = np.random.default_rng(seed)
    ref = _random_points(rng, 1, p_missing)
    drv = _random_points(rng, frames, p_missing)
    ref[0, NECK, 2] = 0.9
    ref[0, NECK, :2] = rng.uniform(0.2, 0.8, 2)
    # a photo that shows a hip: a bust's lean limit turns bones on purpose (tests/dhcore/pose/test_bust.py)
    ref[0, J["r_hip"], 2] = 0.9
    ref[0, J["r_hip"], :2] = rng.uniform(0.2, 0.8, 2)
    k = int(rng.integers(frames))
    drv[k, NECK, 2] = 0.9
    drv[k, NECK, :2] = rng.uniform(0.2, 0.8, 2)
    params = A.Params(
        **RAW, width=out_size[0], height=out_size[1], method=method, align_frame="auto" if auto else k
    )
    try:
        out, info = A.align(_pose(ref, ref_size), _pose(drv, drv_size), params)
    except InputError as exc:  # legitimately nothing to measure a scale on
        assert "cannot estimate any scale" in str(exc) or "neither shoulder width nor torso height" in str(
            exc
        )
        return
    drv = T.flatten(_pose(drv, drv_size))  # the float32 values the stage saw
    o = T.flatten(out)
    dvis = T.visible(drv, 0.3)
    assert (out.width, out.height) == out_size
    # missing in -> missing out, present in -> finite out with the same confidence
    assert np.isnan(o[~dvis, :2]).all() and (o[~dvis, 2] == 0).all()
    assert np.isfinite(o[dvis, :2]).all()
    np.testing.assert_allclose(o[dvis, 2], drv[dvis, 2])
    scale = info.point_scale
    assert scale is not None and np.isfinite(scale).all() and (scale > 0).all()
    stretch = np.array(info.stretch)
    oc = _common(o, out_size)
    dc = _common(drv, drv_size) * stretch
    # the neck path is the driving neck path shifted by t = reference neck - driving neck at the align frame
    ref_neck = _ref_in_output(T.flatten(_pose(ref, ref_size))[0, NECK], ref_size, out_size)
    t = ref_neck - dc[info.offset_frame, NECK]
    np.testing.assert_allclose(info.offset, t, atol=1e-5)
    necks = dvis[:, NECK]
    # (musepose scales the root path about the align frame by the body scale, like every bone)
    k = info.offset_frame
    expected = dc[k, NECK] + info.root_scale * (dc[necks, NECK] - dc[k, NECK]) + t
    np.testing.assert_allclose(oc[necks, NECK], expected, atol=1e-4)
    # every bone: output vector = scale x driving vector (direction kept, length scaled)
    parent = T.body_parents(ears_on_eyes=method == "unianimate")
    for c in range(T.N_POINTS):
        p = parent[c]
        if p == c:
            continue
        both = dvis[:, c] & dvis[:, p]
        np.testing.assert_allclose(
            oc[both, c] - oc[both, p], scale[c] * (dc[both, c] - dc[both, p]), atol=2e-4, rtol=1e-4
        )


def _skeleton(
    rng: np.random.Generator, lengths: dict[str, float], frames: int, fore: np.ndarray | None = None
):  # noqa: ANN202
    """Forward kinematics on the MusePose tree: random directions, given lengths per group.

    fore [frames, 128] multiplies each bone length (foreshortening); None = 1.
    """
    group = A._muse_group_of_point()
    parent = T.body_parents()
    flat = np.zeros((frames, T.N_POINTS, 3))
    flat[..., 2] = 1.0
    flat[:, NECK, :2] = rng.uniform(0.4, 0.6, (frames, 2))
    angles = rng.uniform(0, 2 * np.pi, (frames, T.N_POINTS))
    for i in T.topological_order(parent):
        if i == NECK:
            continue
        base = lengths[group[i]] * (0.3 if i >= T.LEFT_HAND else 1.0)
        length = base * (fore[:, i] if fore is not None else 1.0)
        flat[:, i, 0] = flat[:, parent[i], 0] + length * np.cos(angles[:, i])
        flat[:, i, 1] = flat[:, parent[i], 1] + length * np.sin(angles[:, i])
    return flat


GROUPS = ("neck", "face", "shoulder", "upper_arm", "lower_arm", "hand", "torso", "upper_leg", "lower_leg")


@pytest.mark.parametrize("seed", range(5))
def test_bone_lengths_are_reference_lengths_times_foreshortening(seed: int) -> None:
    """The measurable statement of pose_alignment.md, with an int align frame and symmetric bodies."""
    rng = np.random.default_rng(seed)
    drv_len = {g: float(rng.uniform(0.04, 0.1)) for g in GROUPS}
    body_ratio = float(rng.uniform(0.6, 2.0))
    ref_len = {g: drv_len[g] * body_ratio * float(rng.uniform(0.7, 1.4)) for g in GROUPS}
    frames, k = 12, int(rng.integers(12))
    fore = rng.uniform(0.4, 1.0, (frames, T.N_POINTS))
    fore[k] = 1.0
    ref = _skeleton(rng, ref_len, 1)
    drv = _skeleton(rng, drv_len, frames, fore)
    out, info = A.align(
        _pose(ref, (512, 512)), _pose(drv, (512, 512)), A.Params(**RAW, width=512, height=512, align_frame=k)
    )
    o, d = T.flatten(out)[..., :2], T.flatten(_pose(drv, (512, 512)))[..., :2]
    group, parent = A._muse_group_of_point(), T.body_parents()
    for g in GROUPS:
        if g != "hand":
            assert info.scales[g] == pytest.approx(ref_len[g] / drv_len[g], rel=1e-4)
    hand = (ref_len["hand"] / drv_len["hand"] + info.scales["upper_arm"] + info.scales["lower_arm"]) / 3
    assert info.scales["hand"] == pytest.approx(hand, rel=1e-4)
    for c in range(T.N_POINTS):
        p = parent[c]
        if p == c or c >= T.FACE:
            continue
        out_len = np.linalg.norm(o[:, c] - o[:, p], axis=-1)
        drv_now = np.linalg.norm(d[:, c] - d[:, p], axis=-1)
        if group[c] == "hand":
            np.testing.assert_allclose(out_len, info.scales["hand"] * drv_now, rtol=1e-4)
            continue
        drv_at_k = np.linalg.norm(d[k, c] - d[k, p])
        ref_bone = np.linalg.norm(ref[0, c, :2] - ref[0, p, :2])
        np.testing.assert_allclose(out_len, ref_bone * drv_now / drv_at_k, rtol=1e-4)
        cos = np.sum((o[:, c] - o[:, p]) * (d[:, c] - d[:, p]), axis=-1) / (out_len * drv_now)
        np.testing.assert_allclose(cos, 1.0, atol=1e-5)


def test_auto_align_frame_measures_limbs_hidden_in_frame_zero() -> None:
    """The original always used frame 0; auto uses every frame where a segment is visible."""
    rng = np.random.default_rng(3)
    drv_len = {g: 0.06 for g in GROUPS}
    ref_len = {g: 0.12 for g in GROUPS}
    ref = _skeleton(rng, ref_len, 1)
    drv = _skeleton(rng, drv_len, 8)
    for name in ("r_elbow", "l_elbow", "r_wrist", "l_wrist"):
        drv[0, J[name]] = (np.nan, np.nan, 0.0)
    out, info = A.align(
        _pose(ref, (512, 512)), _pose(drv, (512, 512)), A.Params(**RAW, width=512, height=512)
    )
    assert info.scales["upper_arm"] == pytest.approx(2.0, rel=1e-4)
    assert info.scales["lower_arm"] == pytest.approx(2.0, rel=1e-4)
    assert not any("upper_arm" in w or "lower_arm" in w for w in info.warnings)
    assert np.isnan(out.body[0, J["r_wrist"], :2]).all() and out.body[0, J["r_wrist"], 2] == 0
    assert np.isfinite(out.body[1:, J["r_wrist"], :2]).all()


def test_auto_uses_a_high_percentile_of_driving_lengths() -> None:
    rng = np.random.default_rng(4)
    ref = _skeleton(rng, {g: 0.1 for g in GROUPS}, 1)
    fore = np.ones((20, T.N_POINTS))
    fore[:, J["nose"]] = np.linspace(0.5, 1.0, 20)  # the head nods towards the camera
    drv = _skeleton(rng, {g: 0.05 for g in GROUPS}, 20, fore)
    _, info = A.align(_pose(ref, (512, 512)), _pose(drv, (512, 512)), A.Params(**RAW, width=512, height=512))
    lengths = np.linalg.norm(drv[:, J["nose"], :2] - drv[:, NECK, :2], axis=-1)
    assert info.scales["neck"] == pytest.approx(0.1 / np.percentile(lengths, A.AUTO_PERCENTILE), rel=1e-4)


def test_half_body_reference_uses_documented_fallbacks_and_never_nan(astronaut_pose: PoseSequence) -> None:
    from dhcore.demo.dance import make_dance

    drv = make_dance(seconds=1.0)
    out, info = A.align(astronaut_pose, drv, A.Params(**RAW, width=512, height=512))
    assert info.scales["torso"] == info.scales["shoulder"]  # hips are off the photo
    assert info.scales["upper_leg"] == info.scales["lower_leg"] == info.scales["body"]
    assert any("torso" in w and "shoulder" in w for w in info.warnings)
    assert all(np.isfinite(v) and v > 0 for v in info.scales.values())
    assert np.isfinite(out.body[..., :2]).all()  # the dancer is fully visible, so is the target
    # the neck sits on the astronaut's neck at the offset frame
    ref_neck = A.reference_in_output(astronaut_pose, 512, 512).body[0, NECK, :2]
    np.testing.assert_allclose(out.body[0, NECK, :2], ref_neck, atol=1e-5)


def test_outlier_scale_is_replaced_by_its_fallback() -> None:
    rng = np.random.default_rng(5)
    ref_len = {g: 0.1 for g in GROUPS}
    ref_len["lower_arm"] = 1.5  # a detection error: forearms 15x the other bones
    ref = _skeleton(rng, ref_len, 1)
    drv = _skeleton(rng, {g: 0.05 for g in GROUPS}, 4)
    _, info = A.align(_pose(ref, (512, 512)), _pose(drv, (512, 512)), A.Params(**RAW, width=512, height=512))
    assert info.scales["lower_arm"] == pytest.approx(info.scales["upper_arm"])
    assert any("lower_arm" in w and "detection error" in w for w in info.warnings)


def test_virtual_neck_when_the_driving_neck_is_missing() -> None:
    rng = np.random.default_rng(6)
    ref = _skeleton(rng, {g: 0.1 for g in GROUPS}, 1)
    drv = _skeleton(rng, {g: 0.05 for g in GROUPS}, 3)
    drv[1, NECK] = (np.nan, np.nan, 0.0)
    out, info = A.align(
        _pose(ref, (512, 512)), _pose(drv, (512, 512)), A.Params(**RAW, width=512, height=512)
    )
    o = T.flatten(out)
    assert np.isnan(o[1, NECK, :2]).all()
    virtual = (drv[0, NECK, :2] + drv[2, NECK, :2]) / 2
    root = drv[info.offset_frame, NECK, :2] + info.root_scale * (virtual - drv[info.offset_frame, NECK, :2])
    expected = root + info.offset + info.scales["shoulder"] * (drv[1, J["r_shoulder"], :2] - virtual)
    np.testing.assert_allclose(o[1, J["r_shoulder"], :2], expected, atol=1e-5)


def test_unianimate_matches_reference_bones_at_the_align_frame() -> None:
    # same seed = same bone directions: the driving frame 2 is the reference with other bone lengths
    ref = _skeleton(np.random.default_rng(7), {g: 0.1 for g in GROUPS}, 5)[2:3]
    lengths = dict(zip(GROUPS, np.random.default_rng(1).uniform(0.04, 0.08, len(GROUPS)), strict=True))
    drv = _skeleton(np.random.default_rng(7), lengths, 5)
    params = A.Params(**RAW, width=512, height=512, method="unianimate", align_frame=2)
    out, info = A.align(_pose(ref, (512, 512)), _pose(drv, (512, 512)), params)
    o = T.flatten(out)
    parent = T.body_parents(ears_on_eyes=True)
    for a, b in A.UNI_BONES:
        assert parent[b] == a
        got = np.linalg.norm(o[2, b, :2] - o[2, a, :2])
        assert got == pytest.approx(np.linalg.norm(ref[0, b, :2] - ref[0, a, :2]), rel=1e-4)
    sx, sy = info.stretch
    assert np.isfinite([sx, sy]).all() and sx > 0 and sy > 0
    assert not info.warnings


def test_none_maps_the_driving_frame_like_a_photo() -> None:
    rng = np.random.default_rng(8)
    drv = _random_points(rng, 4, 0.2)
    drv[0, NECK] = (0.5, 0.5, 1.0)
    out, info = A.align(
        _pose(drv[:1], (512, 512)),
        _pose(drv, (640, 360)),
        A.Params(**RAW, width=512, height=512, method="none"),
    )
    fit = photo_fit(640, 360, 512, 512)
    d = T.flatten(_pose(drv, (640, 360)))
    vis = T.visible(d, 0.3)
    np.testing.assert_allclose(T.flatten(out)[vis, :2], fit.to_output_normalized(d[vis, :2]), atol=1e-6)
    assert np.isnan(T.flatten(out)[~vis, :2]).all()
    assert out.body[0, NECK, :2] == pytest.approx((0.5, 0.5))
    assert info.scales == {}


def test_reference_in_output_is_the_photo_fit_of_the_photo() -> None:
    ref = PoseSequence.empty(1, 512, 600, 1.0)
    ref.body[0, NECK] = (0.5, 0.5, 1.0)
    ref.body[0, J["nose"]] = (0.25, 0.0, 1.0)
    mapped = A.reference_in_output(ref, 512, 512)
    fit = photo_fit(512, 600, 512, 512)
    assert mapped.body[0, NECK, :2] == pytest.approx((0.5, 0.5))
    assert mapped.body[0, J["nose"], :2] == pytest.approx(fit.to_output_normalized(np.array([0.25, 0.0])))
    assert np.isnan(mapped.body[0, J["r_hip"], :2]).all() and mapped.body[0, J["r_hip"], 2] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("ref_neck", "reference pose has no visible neck"),
        ("frame_past_end", "past the last driving frame"),
        ("frame_without_neck", "has no visible neck"),
        ("driving_empty", "no visible point"),
        ("two_frame_reference", "exactly one frame"),
    ],
)
def test_bad_inputs_are_input_errors(change: str, message: str) -> None:
    rng = np.random.default_rng(9)
    ref = _skeleton(rng, {g: 0.1 for g in GROUPS}, 2 if change == "two_frame_reference" else 1)
    drv = _skeleton(rng, {g: 0.05 for g in GROUPS}, 3)
    frame: int | str = "auto"
    if change == "ref_neck":
        ref[0, NECK] = (np.nan, np.nan, 0.0)
    elif change == "frame_past_end":
        frame = 3
    elif change == "frame_without_neck":
        drv[1, NECK, 2] = 0.0
        frame = 1
    elif change == "driving_empty":
        drv[..., 2] = 0.0
    with pytest.raises(InputError, match=message):
        A.align(
            _pose(ref, (512, 512)),
            _pose(drv, (512, 512)),
            A.Params(**RAW, width=512, height=512, align_frame=frame),
        )


def test_stage_run_writes_output_frame_poses(tmp_path: Path, astronaut_pose: PoseSequence) -> None:
    from dhcore.demo.dance import make_dance

    ref_path, drv_path, out_path = tmp_path / "ref.npz", tmp_path / "drv.npz", tmp_path / "target.npz"
    astronaut_pose.save(ref_path)
    make_dance(seconds=1.0, fps=24).save(drv_path)
    seen: list[tuple[int, int | None]] = []
    result = A.STAGE.call(
        out_path.with_suffix(""),
        A.Params(**RAW, width=384, height=512),
        progress=lambda d, t: seen.append((d, t)),
        reference=ref_path,
        driving=drv_path,
    )
    target = PoseSequence.load(result.outputs["pose"].path)
    assert (target.width, target.height, target.fps, len(target)) == (384, 512, 24.0, 24)
    assert result.outputs["pose"].kind == "pose" and result.frames == 24
    assert result.metrics["scale_body"] > 1  # the astronaut is much larger in frame than the dancer
    assert any("torso" in w for w in result.warnings)
    assert seen[-1] == (24, 24)


def test_params_are_strict() -> None:
    with pytest.raises(ValueError):
        A.Params(**RAW, width=512, height=512, method="champ")
    with pytest.raises(ValueError):
        A.Params(**RAW, width=512, height=512, align_frame=-1)
    assert HAND_BONES  # the hand tree used above is the keypoints module's
