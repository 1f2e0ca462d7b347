import cv2
import numpy as np
import pytest

from dhcore.facemesh.expressions import Expression, HeadPose, apply, closing_jaw, head_move
from dhcore.facemesh.landmarks import EYES, eye_opening, mouth_opening, one_face
from dhcore.facemesh.warp import MeshWarp
from tests import realdata


@pytest.fixture(scope="module")
def portrait() -> tuple[np.ndarray, np.ndarray, MeshWarp]:
    image = realdata.rgb("astronaut")
    points = one_face(image, "astronaut")
    return image, points, MeshWarp(image, points)


def test_unmoved_points_give_back_the_photo(portrait) -> None:
    image, points, warp = portrait
    out = warp.warp(points)
    assert out.shape == image.shape
    assert np.abs(out.astype(int) - image).mean() < 1.0


def test_open_jaw_is_seen_by_the_mesh_and_the_background_stays(portrait) -> None:
    image, points, warp = portrait
    out = warp.warp(apply(points, Expression(jaw_open=0.8)))
    seen = one_face(out, "warped")
    assert mouth_opening(seen) > mouth_opening(points) + 0.2
    x0, y0, x1, y1 = warp.roi
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(out[outside], image[outside])
    inner = out[
        int(points[13, 1]) + 4 : int(points[14, 1]) + 12, int(points[13, 0]) - 3 : int(points[13, 0]) + 3
    ]
    assert inner.std() > 10  # teeth, cavity and tongue: not one flat colour


def test_closed_eyes_and_head_turn(portrait) -> None:
    image, points, warp = portrait
    shut = warp.warp(apply(points, Expression(eyes_closed=1.0)))
    closed = one_face(shut, "closed")
    assert eye_opening(closed, "left") < 0.6 * eye_opening(points, "left")
    for upper, lower in EYES.values():  # iris and lashes covered by lid skin, not squeezed into a smear
        x0, y0 = points[upper + lower, :2].min(0).astype(int)
        x1, y1 = points[upper + lower, :2].max(0).astype(int) + 1
        grey = cv2.cvtColor(shut[y0 - 1 : y1 + 3, x0:x1], cv2.COLOR_RGB2GRAY)
        assert (grey < 90).mean() < 0.03  # 0.08-0.13 without the cover, 0.3 in the open eye
    turned = head_move(points, HeadPose(roll=8.0))
    seen = one_face(warp.warp(turned), "rolled")
    tilt = np.degrees(np.arctan2(*(seen[263, 1::-1] - seen[33, 1::-1])))
    tilt0 = np.degrees(np.arctan2(*(points[263, 1::-1] - points[33, 1::-1])))
    assert 4.0 < tilt - tilt0 < 12.0


def test_an_open_mouthed_photo_closes_cleanly(portrait) -> None:
    image, points, warp = portrait  # the astronaut smiles with her teeth showing
    closed = warp.warp(apply(points, Expression(jaw_open=closing_jaw(points))))
    seen = one_face(closed, "closed")
    assert mouth_opening(points) > 0.1 and mouth_opening(seen) < 0.05
    x0, y0 = points[[61, 291], 0].min() - 3, points[13, 1] - 8
    x1, y1 = points[[61, 291], 0].max() + 3, points[14, 1] + 8
    lips = cv2.cvtColor(closed[int(y0) : int(y1), int(x0) : int(x1)], cv2.COLOR_RGB2GRAY).astype(float)
    speckle = np.abs(lips - cv2.medianBlur(lips.astype(np.uint8), 3)).mean()
    assert speckle < 2.5  # no squeezed-teeth speckles along the seam (3.3 without sealing)
