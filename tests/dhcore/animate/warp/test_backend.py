"""The warp backend on a real half-body photo, its contract (streaming, determinism) and bad input."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest

from dhcore.animate.warp import BACKENDS, WarpBackend, WarpParams
from dhcore.animate.warp.body import measure_body
from dhcore.animate.warp.mask import person_alpha
from dhcore.errors import InputError
from dhcore.media.frames import iter_frames, probe
from dhcore.media.geometry import photo_fit
from dhcore.pose.keypoints import J
from dhcore.stage import StageParams, no_progress

FACE = ("nose", "r_eye", "l_eye", "r_ear", "l_ear")


def test_registered_as_a_cpu_backend_without_models():
    backend = BACKENDS["warp"]()
    assert backend.name == "warp" and backend.device == "cpu" and backend.version
    assert issubclass(backend.Params, StageParams)
    assert backend.model_ids(WarpParams()) == []
    with pytest.raises(ValueError):
        WarpParams(mesh_steps=0.1)  # typo: extra fields are rejected


def test_half_body_portrait_head_follows_and_missing_legs_do_not_crash(scene, helpers, astronaut):
    photo, ref = astronaut
    size = 256  # output smaller than the photo: cover-fit scales by 0.5
    s = size / 512
    shifted = ref.copy()
    for name in FACE:
        shifted[J[name]] += (24.0, -12.0)  # head moves right and up (photo pixels)
    legs = ref.copy()
    legs[J["r_hip"]], legs[J["r_knee"]] = (150, 520), (150, 600)  # legs the photo does not show
    nan_frame = np.full_like(ref, np.nan)  # a frame where detection failed completely
    partial = shifted.copy()
    partial[[J["nose"], J["r_elbow"]]] = np.nan
    targets = [ref * s, shifted * s, legs * s, nan_frame, partial * s, shifted * s]
    inputs = scene.inputs(
        photo, helpers.pose_sequence([ref], 512, 512), helpers.pose_sequence(targets, size, size), size, size
    )
    out = scene.root / "out.nut"
    result = WarpBackend().run(inputs, WarpParams(), out, no_progress)
    frames = np.concatenate(list(iter_frames(out)))
    assert frames.shape == (len(targets), size, size, 3) and result.frames == len(targets)
    assert any("r_leg" in w and "l_leg" in w for w in result.warnings)
    assert 0.3 < result.metrics["mask_coverage"] < 0.8
    assert result.series["fallback_handles"][3] > 0  # the all-NaN frame fell back
    # the face patch of the photo is found where the target head is, in frames 1 and 5
    face = cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA)
    nose = ref[J["nose"]] * s
    x0, y0 = int(nose[0] - 20), int(nose[1] - 24)
    patch = face[y0 : y0 + 40, x0 : x0 + 40]
    for index in (0, 1, 5):
        score = cv2.matchTemplate(frames[index], patch, cv2.TM_CCOEFF_NORMED)
        _, best, _, (bx, by) = cv2.minMaxLoc(score)
        expected = (x0, y0) if index == 0 else (x0 + 12, y0 - 6)
        assert best > 0.9 and abs(bx - expected[0]) <= 2 and abs(by - expected[1]) <= 2, (index, bx, by)


def test_identity_reproduces_the_fitted_photo_inside_the_person(scene, helpers, astronaut):
    photo, ref = astronaut
    w, h = 320, 240  # a wider output than the photo: the whole photo, padded left and right
    fit = photo_fit(512, 512, w, h)
    target = fit.to_output_normalized(ref / 512) * (w, h)
    inputs = scene.inputs(
        photo, helpers.pose_sequence([ref], 512, 512), helpers.pose_sequence([target], w, h), w, h
    )
    out = scene.root / "out.nut"
    result = WarpBackend().run(inputs, WarpParams(), out, no_progress)
    assert any("shown whole" in w for w in result.warnings)
    frame = next(iter_frames(out))[0].astype(float)
    expected = fit.apply(photo)
    body = measure_body(target, np.isfinite(target).all(axis=1), max(w, h))
    inside = cv2.erode((person_alpha(expected, body, True, 2) >= 0.5).astype(np.uint8), np.ones((7, 7))) > 0
    assert inside.mean() > 0.25  # the photo fills 3/4 of the padded frame
    diff = (frame - expected) ** 2
    psnr_inside = 10 * np.log10(255.0**2 / max(1e-9, float(diff[inside].mean())))
    photo_area = ~fit.padding()  # the padding is filled background, not replicated edge pixels
    assert 0.2 < 1 - photo_area.mean() < 0.3
    psnr_all = 10 * np.log10(255.0**2 / max(1e-9, float(diff[photo_area].mean())))  # edges meet the fill
    assert psnr_inside >= 40 and psnr_all >= 28, (psnr_inside, psnr_all)


def test_streams_in_chunks_reports_progress_and_is_deterministic(scene, helpers, figure):
    photo, ref = figure
    targets = [helpers.rotate(ref, "l_elbow", ["l_wrist"], a) * 0.5 for a in np.linspace(0, -90, 7)]
    inputs = scene.inputs(
        photo, helpers.pose_sequence([ref], 384, 512), helpers.pose_sequence(targets, 192, 256), 192, 256,
        fps=Fraction(30000, 1001),
    )  # fmt: skip
    calls: list[tuple[int, int | None]] = []
    first, second = scene.root / "a.nut", scene.root / "b.nut"
    result = WarpBackend().run(
        inputs, WarpParams(chunk=3), first, lambda done, total: calls.append((done, total))
    )
    WarpBackend().run(inputs, WarpParams(chunk=3), second, no_progress)
    assert calls == [(3, 7), (6, 7), (7, 7)]
    info = probe(first)
    assert (info.width, info.height, info.frames, info.fps) == (192, 256, 7, Fraction(30000, 1001))
    assert result.outputs["frames"].path == first and result.outputs["frames"].kind == "frames"
    a = np.concatenate(list(iter_frames(first)))
    b = np.concatenate(list(iter_frames(second)))
    assert np.array_equal(a, b)
    assert not np.array_equal(a[0], a[-1])  # and it did animate


def test_bad_inputs_are_reported_with_the_file(scene, helpers, figure, tmp_path):
    photo, ref = figure
    seq = helpers.pose_sequence
    inputs = scene.inputs(photo, seq([ref], 384, 512), seq([ref], 96, 128), 96, 128)
    out = tmp_path / "out.nut"
    missing = inputs.__class__(**{**inputs.__dict__, "reference_image": tmp_path / "nope.png"})
    with pytest.raises(InputError, match="nope.png"):
        WarpBackend().run(missing, WarpParams(), out, no_progress)
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not an image")
    with pytest.raises(InputError, match="garbage.png"):
        WarpBackend().run(
            inputs.__class__(**{**inputs.__dict__, "reference_image": garbage}),
            WarpParams(),
            out,
            no_progress,
        )
    nobody = np.full_like(ref, np.nan)
    seq([nobody], 384, 512).save(scene.root / "nobody.npz")
    with pytest.raises(InputError, match="no person"):
        WarpBackend().run(
            inputs.__class__(**{**inputs.__dict__, "reference_pose": scene.root / "nobody.npz"}),
            WarpParams(), out, no_progress,
        )  # fmt: skip
    seq([], 96, 128).save(scene.root / "empty.npz")
    with pytest.raises(InputError, match="no frames"):
        WarpBackend().run(
            inputs.__class__(**{**inputs.__dict__, "target_pose": scene.root / "empty.npz"}),
            WarpParams(), out, no_progress,
        )  # fmt: skip


def test_parts_missing_from_the_photo_are_not_drawn(scene, helpers, figure):
    """A figure cut at the hips (no legs in the photo) while the target has legs: the legs'
    target place shows the background, the upper body still follows."""
    _, ref = figure
    photo = helpers.draw_figure(ref, legs=False)
    upper = ref.copy()
    for name in ("r_knee", "r_ankle", "l_knee", "l_ankle"):
        upper[J[name]] = np.nan
    target = helpers.rotate(ref, "l_elbow", ["l_wrist"], -60)
    inputs = scene.inputs(
        photo, helpers.pose_sequence([upper], 384, 512), helpers.pose_sequence([target], 384, 512), 384, 512
    )
    out = scene.root / "out.nut"
    result = WarpBackend().run(inputs, WarpParams(), out, no_progress)
    frame = next(iter_frames(out))[0]
    assert "l_leg" in " ".join(result.warnings)
    knee = np.round(target[J["r_knee"]]).astype(int)
    assert np.abs(frame[knee[1], knee[0]].astype(int) - helpers.BACKGROUND).max() <= 12
    _, wrist, colour = helpers.LIMB_COLOURS["l_forearm"]
    mid = np.round((target[J["l_elbow"]] + target[J[wrist]]) / 2).astype(int)
    assert np.linalg.norm(frame[mid[1], mid[0]].astype(float) - colour) < 45
