"""Exemplar-based background fill: the hole gets real texture copied from the photo, not a blur.

A diffusion fill (Telea, push-pull) of a person-sized hole is a smooth blob that reads as a
ghost of the person. Here, as in Criminisi et al.'s exemplar inpainting, the hole is filled
patch by patch from its rim inwards, each patch copied from the best matching fully known patch
nearby. Two terms choose the source: its blurred colours against a smooth guide fill at that
place (so the copied structure continues what surrounds the hole: the table edge, the flag's
stripes, rather than whatever matches best somewhere), and its pixels against what is already
filled (so neighbouring patches join up). The search runs on a small copy (cost grows with the
pixel count); at full resolution every hole pixel then copies the photo pixel at the same
(scaled) offset, so the texture stays sharp; the seams between copied blocks are softened.
"""

from __future__ import annotations

import cv2
import numpy as np

#: the search runs at this many pixels along the longer side
WORK_SIDE = 96
PATCH = 7
#: sources are searched within this share of the work image around the target patch
WINDOW = 0.35


def _offsets(small: np.ndarray, hole: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """Per hole pixel of the small image, the (dy, dx) of the photo pixel it copies."""
    h, w = hole.shape
    r = PATCH // 2
    img = small.astype(np.float32)
    blur = cv2.GaussianBlur(img, (0, 0), 1.5)
    pad = r
    guide_p = cv2.copyMakeBorder(guide.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    # a source patch must lie wholly on known pixels (and inside the image)
    source = (
        cv2.erode(
            (~hole).astype(np.uint8),
            np.ones((PATCH, PATCH), np.uint8),
            borderType=cv2.BORDER_CONSTANT,
            borderValue=0,
        )  # fmt: skip
        > 0
    )
    if not source.any():
        return np.zeros((h, w, 2), np.int32)
    offsets = np.zeros((h, w, 2), np.int32)
    filled = ~hole
    work = img.copy()
    window = max(2 * PATCH, int(WINDOW * max(h, w)))
    box = np.ones((3, 3), np.uint8)
    while not filled.all():
        count = cv2.boxFilter(
            filled.astype(np.float32), -1, (PATCH, PATCH), normalize=False, borderType=cv2.BORDER_CONSTANT
        )
        front = ~filled & (cv2.dilate(filled.astype(np.uint8), box) > 0)
        if not front.any():  # a hole with no known pixel around it at all
            front = ~filled
        y, x = np.unravel_index(int(np.argmax(np.where(front, count, -1.0))), front.shape)
        y0, y1 = max(0, y - window), min(h - PATCH + 1, y + window)
        x0, x1 = max(0, x - window), min(w - PATCH + 1, x + window)
        score = np.full((max(0, y1 - y0), max(0, x1 - x0)), np.inf, np.float32)
        if score.size:
            region = slice(y0, y1 + PATCH - 1), slice(x0, x1 + PATCH - 1)
            score = cv2.matchTemplate(blur[region], guide_p[y : y + PATCH, x : x + PATCH], cv2.TM_SQDIFF)
            work_p = cv2.copyMakeBorder(work, pad, pad, pad, pad, cv2.BORDER_REFLECT)
            known_p = cv2.copyMakeBorder(filled.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_CONSTANT)
            mask = np.repeat(known_p[y : y + PATCH, x : x + PATCH, None], 3, axis=2)
            if mask.any():
                score = score + cv2.matchTemplate(
                    img[region], work_p[y : y + PATCH, x : x + PATCH], cv2.TM_SQDIFF, mask=mask
                )
            score = np.where(source[y0 + r : y1 + r, x0 + r : x1 + r], score, np.inf)
        if np.isfinite(score).any():
            py, px = np.unravel_index(int(np.argmin(score)), score.shape)
            sy, sx = y0 + py + r, x0 + px + r
        else:  # nothing known near: the nearest source patch anywhere
            ys, xs = np.nonzero(source)
            k = int(np.argmin((ys - y) ** 2 + (xs - x) ** 2))
            sy, sx = int(ys[k]), int(xs[k])
        dy, dx = sy - y, sx - x
        ty0, ty1, tx0, tx1 = max(0, y - r), min(h, y + r + 1), max(0, x - r), min(w, x + r + 1)
        todo = ~filled[ty0:ty1, tx0:tx1]
        work[ty0:ty1, tx0:tx1][todo] = img[ty0 + dy : ty1 + dy, tx0 + dx : tx1 + dx][todo]
        offsets[ty0:ty1, tx0:tx1][todo] = (dy, dx)
        filled[ty0:ty1, tx0:tx1] |= todo
    return offsets


def exemplar_fill(image: np.ndarray, hole: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """image: uint8 [H, W, 3]; hole: bool [H, W]; guide: a smooth fill of the same image (it
    says what colours belong where). The image with the hole filled by copied photo texture."""
    h, w = hole.shape
    if not hole.any():
        return image.copy()
    factor = min(1.0, WORK_SIDE / max(h, w))
    size = (max(PATCH + 1, round(w * factor)), max(PATCH + 1, round(h * factor)))
    fx, fy = w / size[0], h / size[1]
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0
    small_hole = (
        cv2.dilate(small_hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    )  # no hole pixel as source
    offsets = _offsets(small, small_hole, cv2.resize(guide, size, interpolation=cv2.INTER_AREA))
    full = cv2.resize(offsets.astype(np.float32), (w, h), interpolation=cv2.INTER_NEAREST)
    ys, xs = np.nonzero(hole)
    sy = np.clip(np.round(ys + full[ys, xs, 0] * fy).astype(np.int64), 0, h - 1)
    sx = np.clip(np.round(xs + full[ys, xs, 1] * fx).astype(np.int64), 0, w - 1)
    out = image.copy()
    copied = image[sy, sx]
    # a source that still falls in the hole (rounding at block edges) takes the guide instead
    stray = hole[sy, sx]
    copied[stray] = guide[ys[stray], xs[stray]]
    out[ys, xs] = copied
    # soften the seams where neighbouring blocks copy from different places
    seam = np.zeros((h, w), bool)
    seam[:, 1:] |= (full[:, 1:] != full[:, :-1]).any(axis=2)
    seam[1:, :] |= (full[1:] != full[:-1]).any(axis=2)
    seam = (cv2.dilate(seam.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & hole
    soft = cv2.GaussianBlur(out, (0, 0), 1.2)
    out[seam] = soft[seam]
    return out
