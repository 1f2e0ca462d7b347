"""Garment cut-out from a flat-lay photo, and the refusals of photos that show no garment."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dhcore.demo.tryon_assets import TSHIRT, tshirt
from dhcore.errors import InputError
from dhcore.tryon.garment import cut_garment, garment_problem_or_mask
from tests import realdata


def drawn_mask(size: int = 512) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.array(TSHIRT, np.int32)], 1)
    return mask > 0


def test_flat_lay_mask_is_the_drawn_shirt() -> None:
    garment = cut_garment(tshirt(), "tshirt.png")
    truth = drawn_mask()
    iou = (garment.mask & truth).sum() / (garment.mask | truth).sum()
    assert iou > 0.97


def test_anchors_sit_on_the_outline_in_body_order() -> None:
    a = cut_garment(tshirt(), "tshirt.png").anchors
    assert a["r_shoulder"][0] < a["neck"][0] < a["l_shoulder"][0]  # the wearer's right is the image's left
    assert a["r_hem"][0] < a["l_hem"][0]
    assert max(a["r_shoulder"][1], a["l_shoulder"][1]) < min(a["r_hem"][1], a["l_hem"][1])
    assert abs(a["r_hem"][1] - 440) <= 2 and abs(a["r_hem"][0] - 144) <= 3  # the drawn hem corner
    assert abs(a["neck"][0] - 256) <= 3


def test_a_print_in_the_background_colour_stays_part_of_the_garment() -> None:
    image = tshirt()
    cv2.circle(image, (256, 300), 20, (236, 236, 236), -1)  # a logo the colour of the ground
    assert cut_garment(image, "logo.png").mask[300, 256]


def test_blank_photo_has_no_garment() -> None:
    problem, mask = garment_problem_or_mask(np.full((256, 256, 3), 200, np.uint8))
    assert problem is not None and "all background" in problem and not mask.any()


def test_real_scene_photo_is_not_a_flat_lay() -> None:
    problem, _ = garment_problem_or_mask(realdata.rgb("astronaut"))
    assert problem is not None and "not one plain background colour" in problem
    with pytest.raises(InputError, match="^scene.png: no flat-lay garment found"):
        cut_garment(realdata.rgb("astronaut"), "scene.png")


def test_scattered_specks_are_no_garment() -> None:
    image = np.full((256, 256, 3), 235, np.uint8)
    rng = np.random.default_rng(0)
    for x, y in rng.integers(20, 236, size=(60, 2)):
        cv2.circle(image, (int(x), int(y)), 4, (20, 20, 20), -1)
    problem, _ = garment_problem_or_mask(image)
    assert problem is not None and "no garment found" in problem


def test_sleeve_ends_are_found_only_on_a_garment_with_sleeves() -> None:
    a = cut_garment(tshirt(), "tshirt.png").anchors
    assert a["r_sleeve"][0] < a["r_hem"][0] and a["l_sleeve"][0] > a["l_hem"][0]
    vest = np.full((512, 512, 3), 236, np.uint8)
    cv2.rectangle(vest, (150, 90), (360, 440), (30, 90, 200), -1)
    assert "r_sleeve" not in cut_garment(vest, "vest.png").anchors
