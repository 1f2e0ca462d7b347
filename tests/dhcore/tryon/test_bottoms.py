"""Bottoms: a flat lay's legs found, the trousers put on a real person's legs, the rest refused."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.demo.tryon_assets import trousers
from dhcore.errors import InputError
from dhcore.pose.keypoints import J
from dhcore.quality import judge
from dhcore.spec.try_on import TryOnQualitySpec
from dhcore.tryon import bottoms
from dhcore.tryon.garment import cut_bottom, garment_problem_or_mask
from tests import realdata
from tests.dhcore.tryon.test_warp import dress


def test_the_flat_lay_trousers_have_two_legs_below_a_waist() -> None:
    a = cut_bottom(trousers(), "trousers.png").anchors
    assert a["r_waist"][0] < a["l_waist"][0] and a["r_waist"][1] < a["crotch"][1] < a["r_hem_out"][1]
    assert a["r_hem_out"][0] < a["r_hem_in"][0] < a["crotch"][0] < a["l_hem_in"][0] < a["l_hem_out"][0]
    assert abs(a["crotch"][1] - 190) <= 3  # where the drawn legs part
    assert a["r_waist"][1] < a["r_knee"][1] < a["r_hem_out"][1]


def test_a_skirt_is_no_bottom_for_this_backend() -> None:
    skirt = np.full((256, 256, 3), 236, np.uint8)
    cv2.fillPoly(skirt, [np.array([[100, 30], [156, 30], [200, 220], [56, 220]])], (40, 40, 140))
    _, mask = garment_problem_or_mask(skirt)
    with pytest.raises(InputError, match="^skirt.png: the garment's hem is not two trouser legs"):
        bottoms.anchors(mask, "skirt.png")


def test_trousers_on_a_standing_person_cover_the_legs(tmp_path: Path) -> None:
    photo, out, pose, metrics = dress(tmp_path, "arms_in_front", trousers(), category="bottom")
    result = cv2.cvtColor(out["image"], cv2.COLOR_BGR2RGB)
    worn = out["edit_mask"] == 255
    h, w = photo.shape[:2]
    body = pose.body[0, :, :2] * (w, h)
    for side in ("r", "l"):  # mid-thigh and mid-shin are green now (the photo is grey)
        for a, b in (("hip", "knee"), ("knee", "ankle")):
            x, y = ((body[J[f"{side}_{a}"]] + body[J[f"{side}_{b}"]]) / 2).astype(int)
            assert worn[y, x]
            r, g, bl = result[y, x].astype(int)
            assert g > r + 20 and g > bl + 20
    nose = body[J["nose"]].astype(int)
    assert not worn[: int(body[J["r_hip"]][1]) - 40].any()  # nothing above the waist
    assert (result[nose[1], nose[0]] == photo[nose[1], nose[0]]).all()
    assert metrics["legs_cover"] > 0.85 and metrics["garment_outside"] < 0.05
    assert "collar_offset" not in metrics  # a top's figures are not a bottom's
    assert judge(metrics, TryOnQualitySpec()).status == "succeeded"


def test_a_person_without_legs_in_the_photo_cannot_wear_trousers(tmp_path: Path) -> None:
    from dhcore.tryon.checks import person_problem

    person = realdata.write_photo("astronaut", tmp_path / "astronaut.png")
    assert (
        person_problem(person, None, "bottom")
        == "both hips and knees must be visible to put a bottom on this person"
    )
