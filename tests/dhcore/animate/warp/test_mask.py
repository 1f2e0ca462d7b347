"""Person mask (MediaPipe selfie segmentation + skeleton prior + GrabCut) and the fills."""

from __future__ import annotations

import numpy as np

from dhcore.animate.warp.body import measure_body
from dhcore.animate.warp.fill import inpaint, pyramid_fill
from dhcore.animate.warp.mask import person_alpha
from dhcore.pose.keypoints import J


def test_figure_mask_matches_the_drawn_figure(figure, helpers):
    photo, joints = figure
    body = measure_body(joints, np.isfinite(joints).all(axis=1), 512)
    alpha = person_alpha(photo, body, grabcut=True, edge_radius=3)
    drawn = np.abs(photo.astype(int) - helpers.BACKGROUND).max(axis=2) > 20
    mask = alpha >= 0.5
    iou = (mask & drawn).sum() / (mask | drawn).sum()
    assert iou > 0.93, iou
    # every limb is in, although the segmenter alone half-misses the thin arms of a drawing
    for _, (a, b, _) in helpers.LIMB_COLOURS.items():
        mid = np.round((joints[J[a]] + joints[J[b]]) / 2).astype(int)
        assert alpha[mid[1], mid[0]] > 0.9
    assert np.array_equal(alpha, person_alpha(photo, body, grabcut=True, edge_radius=3))  # deterministic


def test_astronaut_mask(astronaut):
    photo, joints = astronaut
    body = measure_body(joints, np.isfinite(joints).all(axis=1), 512)
    alpha = person_alpha(photo, body, grabcut=True, edge_radius=4)
    nose = np.round(joints[J["nose"]]).astype(int)
    chest = np.round(joints[J["neck"]] + [0, 80]).astype(int)
    assert alpha[nose[1], nose[0]] == 1.0 and alpha[chest[1], chest[0]] == 1.0
    assert alpha[:40, :40].max() == 0 and alpha[:60, 450:].max() == 0  # wall and flag corners
    assert 0.3 < (alpha >= 0.5).mean() < 0.75
    soft = (alpha > 0) & (alpha < 1)
    assert soft.any() and soft.mean() < 0.05  # a thin anti-aliased edge, not a blur


def test_pyramid_fill_uses_only_known_pixels():
    image = np.zeros((64, 64, 3), np.float32)
    image[:, :32] = (200, 10, 10)
    image[:, 32:] = (0, 0, 255)  # "unknown" pixels with a colour that must not leak
    known = np.zeros((64, 64), np.float32)
    known[:, :32] = 1
    filled = pyramid_fill(image, known)
    assert np.abs(filled[:, 40:] - (200, 10, 10)).max() < 1.0


def test_inpaint_fills_only_the_hole():
    rng = np.random.default_rng(0)
    image = np.full((96, 96, 3), 120, np.uint8)
    image[..., 1] = rng.integers(100, 140, (96, 96))
    hole = np.zeros((96, 96), bool)
    hole[30:60, 40:70] = True
    person = image.copy()
    person[hole] = (255, 0, 0)
    for method in ("telea", "ns", "pyramid"):
        out = inpaint(person, hole, method)
        assert np.abs(out[hole].astype(int) - (120, 120, 120)).max() < 25, method
        far = np.ones_like(hole)
        far[20:70, 30:80] = False
        assert np.array_equal(out[far], image[far]), method
