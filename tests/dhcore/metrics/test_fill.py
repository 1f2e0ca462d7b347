"""patch_distances: a fill made of the background's own texture scores about as the background
does; streaks smeared in from the rim and a blur blob score well above it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dhcore.metrics.fill import patch_distances


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """A backdrop whose texture repeats (a 48-pixel tile of colour blotches, like a wallpaper or a
    flag's stars), some grain, and a person-sized hole in it."""
    rng = np.random.default_rng(3)
    h, w = 240, 384
    tile = cv2.resize(
        rng.uniform(40, 220, (6, 6, 3)).astype(np.float32), (48, 48), interpolation=cv2.INTER_CUBIC
    )
    grain = rng.normal(0, 2, (h, w, 3)).astype(np.float32)
    image = np.clip(np.tile(tile, (h // 48, w // 48, 1)) + grain, 0, 255).astype(np.uint8)
    hole = np.zeros((h, w), bool)
    hole[60:220, 140:260] = True
    return image, hole


def test_own_texture_scores_as_the_background_streaks_and_blobs_above():
    image, hole = _scene()
    own, background = patch_distances(image, hole)  # the hole shows the true backdrop
    assert background > 0 and own <= 1.5 * background, (own, background)

    streaks = image.copy()
    streaks[hole] = 0
    ys, xs = np.nonzero(hole)
    streaks[ys, xs] = image[ys, 139]  # each row smeared in from the pixel left of the hole
    smear, background_again = patch_distances(streaks, hole)
    assert background_again == pytest.approx(background, rel=1e-3)  # the known background alone sets it
    assert smear > 2 * background, (smear, background)

    blob = image.copy()
    blob[hole] = cv2.inpaint(image, hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)[hole]
    assert patch_distances(blob, hole)[0] > 2 * background


def test_no_hole_or_no_background_scores_zero():
    image, hole = _scene()
    assert patch_distances(image, np.zeros_like(hole)) == (0.0, 0.0)
    assert patch_distances(image, np.ones_like(hole)) == (0.0, 0.0)
