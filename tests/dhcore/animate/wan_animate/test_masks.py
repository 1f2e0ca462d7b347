"""Replace mode's person mask: the grown convex hull of the visible pose points."""

from __future__ import annotations

import numpy as np

from dhcore.animate.wan_animate.masks import person_mask
from dhcore.pose.keypoints import PoseSequence


def _pose() -> PoseSequence:
    pose = PoseSequence.empty(2, 100, 80, 24.0)
    pose.body[0, :4] = [(0.4, 0.25, 0.9), (0.6, 0.25, 0.9), (0.6, 0.75, 0.9), (0.4, 0.75, 0.9)]
    pose.body[0, 4] = (0.9, 0.9, 0.1)  # below the confidence floor: not part of the person
    return pose


def test_mask_covers_the_hull_grown_by_the_margin() -> None:
    pose = _pose()
    tight = person_mask(pose, 0, 100, 80, margin=0.0)
    assert tight.dtype == np.uint8 and tight.shape == (80, 100)
    ys, xs = np.nonzero(tight)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (40, 60, 20, 60)  # the 20 x 40 pixel hull
    assert tight[72, 90] == 0  # the low-confidence point is left out
    grown = person_mask(pose, 0, 100, 80, margin=0.1)  # 0.1 of the 40-pixel extent: 4 pixels
    ys, xs = np.nonzero(grown)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (36, 64, 16, 64)
    assert (grown >= tight).all()


def test_frame_without_a_person_has_an_empty_mask() -> None:
    assert person_mask(_pose(), 1, 100, 80, margin=0.1).max() == 0
