"""The try-on figures on constructed cases: they separate what they claim to separate."""

from __future__ import annotations

import numpy as np

from dhcore.demo.tryon_assets import tshirt
from dhcore.tryon.figures import PSNR_IDENTICAL, background_psnr, colour_similarity, masked_ssim
from dhcore.tryon.garment import cut_garment


def test_colour_similarity_tells_the_same_cloth_from_another() -> None:
    a = cut_garment(tshirt(), "a")
    shaded = (a.image.astype(np.float32) * 0.8).astype(np.uint8)  # same cloth, darker light
    other = cut_garment(tshirt(colours=((40, 160, 60), (30, 30, 30))), "b")
    same = colour_similarity(a.image, a.mask, shaded, a.mask)
    different = colour_similarity(a.image, a.mask, other.image, other.mask)
    assert same > 0.7 and different < 0.2


def test_masked_ssim_is_one_for_identical_and_low_for_noise() -> None:
    image = tshirt(256)
    mask = np.zeros((256, 256), bool)
    mask[60:200, 60:200] = True
    assert masked_ssim(image, image, mask) > 0.999
    noise = np.random.default_rng(0).integers(0, 256, image.shape, dtype=np.uint8)
    assert masked_ssim(image, noise, mask) < 0.2


def test_background_psnr_ignores_the_edit_and_sees_leaks() -> None:
    before = tshirt(128)
    after = before.copy()
    edited = np.zeros((128, 128), bool)
    edited[40:80, 40:80] = True
    after[edited] = 0
    assert background_psnr(before, after, edited, seam=2) == PSNR_IDENTICAL
    after[0:10, 0:10] = 0  # a change outside the edited region
    assert background_psnr(before, after, edited, seam=2) < 30
