"""How foreign a background fill looks: does each piece of it exist in the photo's background?

A person sees a fill as wrong when it shows something the background around it does not: streaks
smeared in from the rim, a blur blob, remains of the person. None of these is a piece of the photo's
own background. So patches of the fill are each matched against every fully known patch of the
background (on a copy SIDE pixels long; a patch spans about 3.5 % of the image), and the typical
distance to the nearest one (RMS, 0-255 per channel) is set against the same for patches of the
known background itself (matched outside their own neighbourhood): a fill made of the photo's own
texture scores about as its background does, a smear or a blob scores well above it.
Not caught: a fill that repeats one good piece of texture everywhere, or continues a structure in
a place where it cannot be (each piece is plausible, their arrangement is not); a smooth fill of a
background that is mostly fine grain (a flat patch lies near every grainy one).
"""

from __future__ import annotations

import cv2
import numpy as np

SIDE = 256
PATCH = 9
SAMPLES = 300


def patch_distances(image: np.ndarray, hole: np.ndarray) -> tuple[float, float]:
    """(fill, background): the median RMS distance of the hole's patches to their nearest fully known
    patch, and of the known background's patches to their nearest other one. image: uint8 [H, W, 3]
    (filled); hole: bool [H, W]."""
    h, w = hole.shape
    factor = min(1.0, SIDE / max(h, w))
    size = (max(PATCH + 1, round(w * factor)), max(PATCH + 1, round(h * factor)))
    img = cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    small_hole = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0
    r = PATCH // 2
    square = np.ones((PATCH, PATCH), np.uint8)
    known = (
        cv2.erode((~small_hole).astype(np.uint8), square, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    )
    in_image = np.zeros(small_hole.shape, bool)
    in_image[r:-r, r:-r] = True
    # a fill patch: centred in the hole, mostly hole (the rim's own pixels are no fill)
    share = cv2.blur(small_hole.astype(np.float32), (PATCH, PATCH))
    fill = small_hole & in_image & (share >= 0.75)
    if not fill.any() or not known.any():
        return 0.0, 0.0
    valid = known[r:-r, r:-r]  # the positions matchTemplate reports, by their patch's top-left

    def nearest(centres: np.ndarray, exclude_own: bool) -> float:
        ys, xs = np.nonzero(centres)
        rng = np.random.default_rng(0)  # the same image gets the same figure
        pick = rng.choice(len(ys), min(SAMPLES, len(ys)), replace=False)
        out = []
        for y, x in zip(ys[pick], xs[pick], strict=True):
            ssd = cv2.matchTemplate(img, img[y - r : y + r + 1, x - r : x + r + 1], cv2.TM_SQDIFF)
            ssd = np.where(valid, ssd, np.inf)
            if exclude_own:
                ssd[max(0, y - r - PATCH) : y - r + PATCH + 1, max(0, x - r - PATCH) : x - r + PATCH + 1] = (
                    np.inf
                )
            best = float(ssd.min())
            if np.isfinite(best):
                out.append(np.sqrt(max(best, 0.0) / (PATCH * PATCH * 3)))
        return float(np.median(out)) if out else 0.0

    return nearest(fill, False), nearest(known, True)
