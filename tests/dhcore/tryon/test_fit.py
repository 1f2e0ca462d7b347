"""Placement and realism figures on constructed cases: each separates what it claims to separate."""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.animate.warp.body import measure_body
from dhcore.pose.keypoints import J
from dhcore.tryon import fit

SIZE = 400


def upright_body():
    """A person facing the camera: shoulders 100 px apart at y=135, hips at y=280, arms hanging."""
    joints = np.full((18, 2), np.nan)
    for name, xy in {"nose": (200, 70), "neck": (200, 130), "r_shoulder": (150, 135), "l_shoulder": (250, 135),
                     "r_elbow": (135, 210), "l_elbow": (265, 210), "r_wrist": (130, 280), "l_wrist": (270, 280),
                     "r_hip": (165, 280), "l_hip": (235, 280)}.items():  # fmt: skip
        joints[J[name]] = xy
    return measure_body(joints, np.isfinite(joints).all(axis=1), SIZE)


def silhouette() -> np.ndarray:
    person = np.zeros((SIZE, SIZE), np.uint8)
    cv2.rectangle(person, (115, 118), (285, 380), 1, -1)  # torso and arms
    cv2.circle(person, (200, 70), 35, 1, -1)  # head
    cv2.rectangle(person, (185, 100), (215, 125), 1, -1)  # neck
    return person > 0


def top(drop: int = 0) -> np.ndarray:
    """A worn top from the shoulders (less a round neckline) to the hips, `drop` px lower."""
    worn = np.zeros((SIZE, SIZE), np.uint8)
    cv2.rectangle(worn, (120, 122 + drop), (280, 290 + drop), 1, -1)
    cv2.circle(worn, (200, 122 + drop), 18, 0, -1)
    return worn > 0


def test_a_top_at_the_neck_sits_well_and_one_slipped_down_does_not() -> None:
    body, person = upright_body(), silhouette()
    worn = top() & person
    assert fit.collar_offset(worn, body) < 0.1
    assert fit.shoulder_cover(worn, body) > 0.9 and fit.torso_cover(worn, person, body) > 0.95
    low = top(drop=60) & person
    assert fit.collar_offset(low, body) > 0.5
    assert fit.shoulder_cover(low, body) < 0.2 and fit.torso_cover(low, person, body) < 0.7


def test_cloth_off_the_body_counts_as_outside() -> None:
    body, person = upright_body(), silhouette()
    worn = top() & person
    assert fit.garment_outside(worn, person, body) < 0.01
    flap = worn.copy()
    flap[150:260, 20:115] = True  # a sleeve sticking out over the background
    assert fit.garment_outside(flap, person, body) > 0.2


def test_upscale_is_the_linear_enlargement() -> None:
    product = np.zeros((100, 100), bool)
    product[25:75, 25:75] = True
    worn = np.zeros((300, 300), bool)
    worn[50:200, 50:200] = True
    assert abs(fit.garment_upscale(worn, product) - 3.0) < 1e-6


def smooth_photo() -> np.ndarray:
    """A person in a plain grey top with soft vertical folds, on a darker background."""
    x = np.arange(SIZE, dtype=np.float32)
    folds = 150 + 40 * np.sin(x / 9.0)
    photo = np.full((SIZE, SIZE, 3), 60, np.float32)
    person = silhouette()
    photo[person] = np.repeat(folds[None, :], SIZE, axis=0)[person][:, None]
    return np.clip(photo, 0, 255).astype(np.uint8)


def test_a_flat_cut_out_has_no_shading_and_shaded_cloth_agrees() -> None:
    photo, body, person = smooth_photo(), upright_body(), silhouette()
    worn = top() & person
    product = np.zeros_like(photo)
    product[...] = (200, 40, 50)
    flat = photo.copy()
    flat[worn] = product[worn]
    assert fit.shading_agreement(photo, flat, product, worn, person, body.scale) == 0.0
    light = photo.astype(np.float32)[..., :1] / 150.0
    shaded = photo.copy()
    shaded[worn] = np.clip(product * light + 0.5, 0, 255).astype(np.uint8)[worn]
    assert fit.shading_agreement(photo, shaded, product, worn, person, body.scale) > 0.9


def test_a_border_where_the_photo_had_no_edge_is_a_new_seam() -> None:
    photo = np.full((SIZE, SIZE, 3), 120, np.uint8)
    person = np.zeros((SIZE, SIZE), bool)
    person[40:360, 40:360] = True
    worn = np.zeros((SIZE, SIZE), bool)
    worn[120:280, 120:280] = True
    pasted = photo.copy()
    pasted[worn] = (220, 40, 40)
    assert fit.seam_new_edges(photo, pasted, worn, person) > 0.9  # a patch on plain cloth
    edged = photo.copy()
    edged[worn] = (220, 40, 40)
    assert fit.seam_new_edges(edged, pasted, worn, person) < 0.1  # the photo had that edge already
