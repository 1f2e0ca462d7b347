"""canvas_size: an unset width/height follows the reference photo's aspect."""

from __future__ import annotations

import pytest

from dhcore.spec.dance import DanceSpec, canvas_size


def _spec(**animate: int) -> DanceSpec:
    return DanceSpec.model_validate(
        {"version": 1, "kind": "dance_video", "subject": {"image": "p.png"},
         "motion": {"type": "keypoints", "path": "d.npz"}, "animate": animate}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("photo", "animate", "size"),
    [
        ((600, 900), {}, (344, 512)),  # portrait: longer side 512, multiples of 8
        ((1920, 1080), {}, (512, 288)),
        ((512, 512), {}, (512, 512)),
        ((600, 900), {"width": 256}, (256, 384)),  # one side set: the other follows
        ((600, 900), {"height": 640}, (424, 640)),
        ((600, 900), {"width": 512, "height": 512}, (512, 512)),  # both set: kept (and padded)
        ((4000, 100), {}, (512, 64)),  # an extreme aspect stays at the minimum side
    ],
)
def test_canvas_follows_the_photo(photo, animate, size):
    w, h = canvas_size(_spec(**animate), photo)
    assert (w, h) == size and w % 8 == 0 and h % 8 == 0
