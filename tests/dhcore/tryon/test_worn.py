"""A garment photographed on a person (the astronaut's suit) onto another real person."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.demo.assets import png_writer
from dhcore.errors import InputError
from dhcore.pose import extract
from dhcore.pose.keypoints import PoseSequence
from dhcore.quality import judge
from dhcore.spec.try_on import TryOnQualitySpec
from dhcore.tryon import warp
from dhcore.tryon.worn import cut_any
from tests import realdata


def test_the_suit_is_cut_from_the_wearers_torso() -> None:
    image = realdata.rgb("astronaut")
    garment = cut_any(image, "astronaut.png")
    assert 0.1 < garment.mask.mean() < 0.6
    assert not garment.mask[100:140, 220:290].any()  # her face is not part of the garment
    orange = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[garment.mask]
    assert ((orange[:, 0] < 20) & (orange[:, 1] > 100)).mean() > 0.5
    a = garment.anchors
    assert a["r_shoulder"][0] < a["l_shoulder"][0] and a["neck"][1] < a["r_hem"][1]


def test_a_photo_with_no_garment_and_no_wearer_is_refused() -> None:
    from skimage import data

    with pytest.raises(InputError, match="^coffee.png: no flat-lay garment.*nor does it show a person"):
        cut_any(data.coffee(), "coffee.png")


def test_the_suit_dresses_another_person(tmp_path: Path) -> None:
    person, garment = tmp_path / "person.png", tmp_path / "suit.png"
    png_writer(realdata.rgb("arms_in_front"))(person)
    png_writer(realdata.rgb("astronaut"))(garment)
    pose_path = extract.STAGE.call(tmp_path / "pose", source=person).outputs["pose"].path
    out = warp.STAGE.call(tmp_path / "warp", person=person, garment=garment, person_pose=pose_path).outputs
    result = cv2.cvtColor(cv2.imread(str(out["image"].path)), cv2.COLOR_BGR2RGB)
    worn = cv2.imread(str(out["edit_mask"].path), cv2.IMREAD_GRAYSCALE) == 255
    torso = np.zeros(worn.shape, np.uint8)
    body = warp.person_body(PoseSequence.load(pose_path), "person.png")
    cv2.fillPoly(torso, [np.round(body.torso).astype(np.int32)], 1)
    assert worn[torso > 0].mean() > 0.5  # most of the torso, less the forearms held in front of it
    hsv = cv2.cvtColor(result, cv2.COLOR_RGB2HSV)[worn]
    assert ((hsv[:, 0] < 20) & (hsv[:, 1] > 100)).mean() > 0.4  # the grey photo now shows an orange suit


def test_a_small_jersey_on_a_close_up_needs_review(tmp_path: Path) -> None:
    """The footballer's jersey (~70 px wide) on grace_hopper's head-and-shoulders photo: blown up to
    three times its size and worn low on one side; the gates say so."""
    from tests.dhcore.tryon.test_warp import dress

    realdata.path("footballer")
    _, _, _, metrics = dress(tmp_path, "grace_hopper", realdata.rgb("footballer"))
    assert metrics["garment_upscale"] > 2.0 and metrics["shoulder_cover"] < 0.7
    verdict = judge(metrics, TryOnQualitySpec())
    assert verdict.status == "needs_review"
    assert {"garment_upscale", "shoulder_cover"} <= {r.split()[0] for r in verdict.reasons}
