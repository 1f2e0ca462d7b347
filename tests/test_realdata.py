"""The real-data module finds its files and makes a driving clip of one person really walking."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.pose import extract
from dhcore.pose.keypoints import J
from tests import realdata


def test_photos_are_real_colour_images() -> None:
    for name in ("astronaut", "grace_hopper", "footballer", "arms_in_front"):
        realdata.path(name)
        image = realdata.rgb(name)
        assert image.ndim == 3 and image.shape[2] == 3 and min(image.shape[:2]) >= 200
        assert image.std() > 20  # a photo, not a blank


def test_pedestrian_clip_shows_one_person_walking(tmp_path: Path) -> None:
    realdata.path("pedestrians")
    clip = realdata.pedestrian_clip(tmp_path / "walk.nut", frames=20)
    pose, detected = extract.detect_video(clip, extract.Params(parts="body"))
    assert len(pose) == 20 and pose.width == pose.height == realdata.CLIP_SIDE
    assert np.mean(detected) >= 0.9
    xy = pose.body[..., :2] * pose.width
    # the crop follows the walker: the hips stay near the middle...
    hips = np.nanmean(xy[:, [J["r_hip"], J["l_hip"]]], axis=1)
    assert np.nanmax(np.abs(hips - realdata.CLIP_SIDE / 2)) < realdata.CLIP_SIDE / 4
    # ...while the legs swing: the ankles' horizontal gap changes by more than a foot's length
    gap = xy[:, J["r_ankle"], 0] - xy[:, J["l_ankle"], 0]
    assert np.nanmax(gap) - np.nanmin(gap) > 0.05 * realdata.CLIP_SIDE
