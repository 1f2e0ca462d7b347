"""Blending a warped face into a photo without a visible border.

Multiband (Laplacian pyramid, Burt & Adelson): each frequency band is mixed through a mask blurred
to that band's scale, so skin tone and light cross the border smoothly while fine detail (pores,
hair) switches over within a few pixels. The mask itself stays inside the jaw line.
"""

from __future__ import annotations

import cv2
import numpy as np


def _levels(shape: tuple[int, ...], wanted: int) -> int:
    return max(1, min(wanted, int(np.log2(max(8, min(shape[:2])))) - 4))


def multiband(base: np.ndarray, top: np.ndarray, alpha: np.ndarray, levels: int = 5) -> np.ndarray:
    """`top` over `base` (same size, uint8 RGB) through `alpha` ([H, W] in 0-1), band by band.

    Where alpha is 0 at every scale the base is returned exactly.
    """
    n = _levels(base.shape, levels)
    a = alpha.astype(np.float32)
    gb, gt, ga = [base.astype(np.float32)], [top.astype(np.float32)], [a]
    for _ in range(n):
        gb.append(cv2.pyrDown(gb[-1]))
        gt.append(cv2.pyrDown(gt[-1]))
        ga.append(cv2.pyrDown(ga[-1]))
    out = gb[n] * (1 - ga[n][..., None]) + gt[n] * ga[n][..., None]
    for i in range(n - 1, -1, -1):
        size = (gb[i].shape[1], gb[i].shape[0])
        lb = gb[i] - cv2.pyrUp(gb[i + 1], dstsize=size)
        lt = gt[i] - cv2.pyrUp(gt[i + 1], dstsize=size)
        w = ga[i][..., None]
        out = cv2.pyrUp(out, dstsize=size) + lb * (1 - w) + lt * w
    # the coarse bands spread the top's light a little outside the mask: keep it where the mask is
    reach = cv2.dilate((alpha > 0).astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2 ** (n - 1))
    soft = cv2.GaussianBlur(reach.astype(np.float32), (0, 0), 2 ** (n - 2) + 0.5)[..., None]
    mixed = base.astype(np.float32) * (1 - soft) + out * soft
    return np.where(reach[..., None] > 0, np.clip(mixed + 0.5, 0, 255), base).astype(np.uint8)


def masked_blur(channel: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of `channel` using only pixels where mask > 0 (normalised convolution)."""
    m = (mask > 0).astype(np.float32)
    num = cv2.GaussianBlur(channel.astype(np.float32) * m, (0, 0), sigma)
    den = cv2.GaussianBlur(m, (0, 0), sigma)
    return num / np.maximum(den, 1e-4)


def match_shading(
    face: np.ndarray, target: np.ndarray, mask: np.ndarray, sigma: float, amount: float
) -> np.ndarray:
    """The face's low-frequency lightness replaced by the target's (its detail kept): the light
    and shadow of the target fall on the new face."""
    lab_f = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab_t = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    low_f = masked_blur(lab_f[..., 0], mask, sigma)
    low_t = masked_blur(lab_t[..., 0], mask, sigma)
    lab_f[..., 0] += float(amount) * (low_t - low_f) * (mask > 0)
    return cv2.cvtColor(np.clip(lab_f + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _detail(image: np.ndarray, inside: np.ndarray) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[inside].mean())


def match_sharpness(face: np.ndarray, target: np.ndarray, mask: np.ndarray, most: float = 2.0) -> np.ndarray:
    """The face blurred (Gaussian, sigma up to `most` px) until its fine detail is no stronger than
    the target's: a crisp face in a soft photo is the first thing that looks pasted."""
    inside = mask > 0
    if inside.sum() < 64:
        return face
    goal = _detail(target, inside)
    best = face
    for sigma in np.arange(0.5, most + 0.01, 0.25):
        if _detail(best, inside) <= goal:
            break
        best = cv2.GaussianBlur(face, (0, 0), float(sigma))
    return best
