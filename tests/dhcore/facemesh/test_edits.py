import numpy as np

from dhcore.facemesh.edits import Edits, Keyframe, at_time
from dhcore.facemesh.landmarks import OUTER_LIPS, one_face
from dhcore.facemesh.lips import tint_lips
from tests import realdata


def test_keyframes_ease_and_hold() -> None:
    keys = [Keyframe(at=1, edits=Edits()), Keyframe(at=3, edits=Edits(smile=1.0, lip_colour="#ff0000"))]
    assert at_time(keys, 0).smile == 0 and at_time(keys, 5).smile == 1.0
    middle = at_time(keys, 2)
    assert middle.smile == 0.5 and middle.lip_colour == "#ff0000" and middle.lip_colour_strength == 0.0
    assert at_time(keys, 1.2).smile < 0.2 * (1.2 - 1) / 2 * 10  # eased: slow out of a keyframe


def test_lip_tint_changes_only_the_lips() -> None:
    image = realdata.rgb("grace_hopper")
    points = one_face(image, "grace_hopper")
    tinted = image.copy()
    tint_lips(tinted, points, "#2040ff", 1.0)
    changed = np.abs(tinted.astype(int) - image).sum(-1) > 6
    x0, y0 = points[OUTER_LIPS, :2].min(0) - 4
    x1, y1 = points[OUTER_LIPS, :2].max(0) + 4
    ys, xs = np.nonzero(changed)
    assert len(ys) > 300
    assert xs.min() >= x0 and xs.max() <= x1 and ys.min() >= y0 and ys.max() <= y1
    lips = changed
    assert tinted[lips][:, 2].mean() > image[lips][:, 2].mean() + 20  # bluer
