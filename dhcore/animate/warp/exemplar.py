"""Exemplar-based background fill: the hole gets real texture copied from the photo, not a blur.

A diffusion fill (Telea, push-pull) of a person-sized hole is a smooth blob that reads as a
ghost of the person. Here, as in Criminisi et al.'s exemplar inpainting, the hole is filled
patch by patch from its rim inwards, each patch copied from the best matching fully known patch
nearby. Two terms choose the source: its blurred colours against a smooth guide fill at that
place (so the copied structure continues what surrounds the hole: the table edge, the flag's
stripes, rather than whatever matches best somewhere), and its pixels against what is already
filled (so neighbouring patches join up). The search runs on a small copy (cost grows with the
pixel count); at full resolution every hole pixel then copies the photo pixel at the same
(scaled) offset, so the texture stays sharp; the seams between copied blocks cross-fade.
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
    # every hole pixel blends the copies that its four nearest work cells' offsets give (bilinear
    # weights): inside a copied patch the four agree and the copy is exact and sharp, between
    # patches copied from different places the seam becomes a short cross-fade, not a block edge
    ys, xs = np.nonzero(hole)
    gy = np.clip((ys + 0.5) / fy - 0.5, 0, size[1] - 1)
    gx = np.clip((xs + 0.5) / fx - 0.5, 0, size[0] - 1)
    y0, x0 = np.floor(gy).astype(np.int64), np.floor(gx).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, size[1] - 1), np.minimum(x0 + 1, size[0] - 1)
    wy, wx = (gy - y0)[:, None], (gx - x0)[:, None]
    acc = np.zeros((len(ys), 3), np.float32)
    weight = np.zeros((len(ys), 1), np.float32)
    for cy, cx, cw in (
        (y0, x0, (1 - wy) * (1 - wx)),
        (y0, x1, (1 - wy) * wx),
        (y1, x0, wy * (1 - wx)),
        (y1, x1, wy * wx),
    ):
        sy = np.round(ys + offsets[cy, cx, 0] * fy).astype(np.int64)
        sx = np.round(xs + offsets[cy, cx, 1] * fx).astype(np.int64)
        usable = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
        sy, sx = np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)
        usable &= ~hole[sy, sx]  # a copy from inside the hole (rounding at its rim) is no copy
        cw = cw * usable[:, None]
        acc += cw * image[sy, sx].astype(np.float32)
        weight += cw
    guide_px = guide[ys, xs].astype(np.float32)
    out = image.copy()
    out[ys, xs] = np.clip(
        np.where(weight > 1e-6, acc / np.maximum(weight, 1e-6), guide_px) + 0.5, 0, 255
    ).astype(np.uint8)
    return out
