"""The garment of a flat-lay product photo: its mask and the anchor points of its outline.

A flat lay is a garment on a plain background: the background colour is read from the photo's
border, pixels far from it seed GrabCut, and the largest connected piece is the garment. A photo
whose border is not one plain colour, or whose foreground is tiny, everywhere, or scattered, is
refused: it shows no garment this backend can cut out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dhcore.errors import InputError
from dhcore.tryon import bottoms

#: border pixels may vary this much (Lab distance, 95th percentile) and still be "one plain colour"
PLAIN_BORDER = 18.0
#: a pixel this far (Lab) from the background colour is surely garment
SURE_DISTANCE = 40.0
#: the garment covers this share of the photo at least / at most
MIN_SHARE, MAX_SHARE = 0.04, 0.85


@dataclass(frozen=True)
class Garment:
    image: np.ndarray  # RGB uint8, the product photo
    mask: np.ndarray  # bool [H, W]
    #: outline anchors in photo pixels: neck, shoulders, hem corners, and sleeve ends when it has sleeves
    #: ("right"/"left" as on a person facing the camera: the right shoulder is on the image's left)
    anchors: dict[str, np.ndarray]


def _lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)


def _border(a: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate(
        [
            a[:width].reshape(-1, 3),
            a[-width:].reshape(-1, 3),
            a[:, :width].reshape(-1, 3),
            a[:, -width:].reshape(-1, 3),
        ]
    )


def garment_problem_or_mask(image: np.ndarray) -> tuple[str | None, np.ndarray]:
    """(why this photo shows no garment, or None; the garment mask)."""
    h, w = image.shape[:2]
    lab = _lab(image)
    border = _border(lab, max(2, round(0.02 * min(h, w))))
    background = np.median(border, axis=0)
    spread = float(np.percentile(np.linalg.norm(border - background, axis=1), 95))
    empty = np.zeros((h, w), bool)
    if spread > PLAIN_BORDER:
        return (
            f"no flat-lay garment found: the photo's border is not one plain background colour (spread "
            f"{spread:.0f} > {PLAIN_BORDER:.0f}); photograph the garment laid flat on a plain background",
            empty,
        )
    distance = np.linalg.norm(lab - background, axis=2)
    sure = distance > SURE_DISTANCE
    if sure.mean() < MIN_SHARE / 4:
        return "no garment found: the photo is (nearly) all background colour", empty
    trimap = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    trimap[distance > SURE_DISTANCE / 3] = cv2.GC_PR_FGD
    trimap[cv2.erode(sure.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0] = cv2.GC_FGD
    trimap[distance < PLAIN_BORDER / 3] = cv2.GC_BGD
    cv2.setRNGSeed(0)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image, trimap, None, bgd, fgd, 3, cv2.GC_INIT_WITH_MASK)
    fg = ((trimap == cv2.GC_FGD) | (trimap == cv2.GC_PR_FGD)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if count < 2:
        return "no garment found: nothing stands out from the background", empty
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = labels == largest
    # close the holes a print or a logo in the background colour leaves
    filled = mask.astype(np.uint8)
    contours, _ = cv2.findContours(filled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    mask = filled > 0
    share = float(mask.mean())
    if share < MIN_SHARE:
        return f"no garment found: the largest piece covers only {share:.1%} of the photo", empty
    if share > MAX_SHARE:
        return f"no garment found: the foreground fills {share:.0%} of the photo (crop less tightly)", empty
    if stats[largest, cv2.CC_STAT_AREA] < 0.6 * fg.sum():
        return "no garment found: the foreground is scattered pieces, not one garment", empty
    return None, mask


def anchors(mask: np.ndarray) -> dict[str, np.ndarray]:
    """Neck, shoulders and hem corners of a top's outline.

    The body's width is read near the hem (below the sleeves); the shoulders are where the outline's
    top meets that width, the neck is the middle of the top edge between them."""
    ys, xs = np.nonzero(mask)
    y0, y1 = int(ys.min()), int(ys.max())
    height = y1 - y0 + 1
    hem_row = y1 - max(1, round(0.06 * height))
    cols = np.nonzero(mask[hem_row])[0]
    hem_l, hem_r = float(cols.min()), float(cols.max())
    centre = (hem_l + hem_r) / 2
    half = (hem_r - hem_l) / 2

    def top_at(x: float) -> float:
        col = np.nonzero(mask[:, int(round(np.clip(x, 0, mask.shape[1] - 1)))])[0]
        return float(col.min()) if col.size else float(y0)

    sx_r, sx_l = centre - 0.92 * half, centre + 0.92 * half
    shoulder_y = (top_at(sx_r) + top_at(sx_l)) / 2
    found = {
        "neck": np.array([centre, min(top_at(centre), shoulder_y)]),
        "r_shoulder": np.array([sx_r, top_at(sx_r)]),
        "l_shoulder": np.array([sx_l, top_at(sx_l)]),
        "r_hem": np.array([hem_l, float(y1)]),
        "l_hem": np.array([hem_r, float(y1)]),
    }
    # sleeve ends: the middle of the outline's outermost tenth on each side, when it reaches past the body
    x0, x1 = int(xs.min()), int(xs.max())
    reach = 0.1 * (x1 - x0 + 1)
    for name, outer, beyond in (
        ("r_sleeve", xs <= x0 + reach, hem_l - x0),
        ("l_sleeve", xs >= x1 - reach, x1 - hem_r),
    ):
        if beyond > 0.15 * half:
            found[name] = np.array([xs[outer].mean(), ys[outer].mean()])
    return found


def cut_garment(image: np.ndarray, name: str) -> Garment:
    """The garment of a flat-lay product photo, or an InputError naming the file."""
    problem, mask = garment_problem_or_mask(image)
    if problem:
        raise InputError(f"{name}: {problem}")
    return Garment(image, mask, anchors(mask))


def cut_bottom(image: np.ndarray, name: str) -> Garment:
    """The bottom of a flat-lay product photo (waist, crotch, knees, hems), or an InputError."""
    problem, mask = garment_problem_or_mask(image)
    if problem:
        raise InputError(f"{name}: {problem}")
    return Garment(image, mask, bottoms.anchors(mask, name))
