"""Filling the region a moved part leaves behind: the background, and the torso under the arms.

Both fills run once per video. The background's default is `exemplar` (real texture, see
`exemplar.py`); the smooth fills below are its guide and the torso's fill. Holes are large (a whole person), so they are filled on a
downscaled copy and pasted back only inside the hole: a fill is low-frequency anyway, and
Telea on a 512x512 person-sized hole costs seconds while the same at 1/4 scale costs
milliseconds. The pyramid (push-pull) fill diffuses only the pixels marked known, which
is what the torso texture needs: arm or background colours must not bleed into it.
"""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.animate.warp.exemplar import exemplar_fill

#: Telea/Navier-Stokes fills run at this many pixels along the longer side.
_WORK_SIDE = 160


def pyramid_fill(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Unknown pixels get the known colours diffused from coarser levels (push-pull).

    image: [H, W, C] float32; known: [H, W] float32 in [0, 1]. Returns float32 [H, W, C].
    """
    w = known.astype(np.float32)[..., None]
    levels = [(image.astype(np.float32) * w, w)]
    while min(levels[-1][1].shape[:2]) > 2:
        color, weight = levels[-1]
        size = (max(1, color.shape[1] // 2), max(1, color.shape[0] // 2))
        color = cv2.resize(color, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
        weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], 1)
        levels.append((color, weight))
    color, weight = levels[-1]
    # the coarsest level may still have empty cells: they get the mean of all known pixels
    total = float(weight.sum())
    mean_colour = color.reshape(-1, color.shape[-1]).sum(0) / total if total > 0 else 0.0
    filled = np.where(weight > 1e-6, color / np.maximum(weight, 1e-6), mean_colour).astype(np.float32)
    for color, weight in reversed(levels[:-1]):
        h, w_ = color.shape[:2]
        up = cv2.resize(filled, (w_, h), interpolation=cv2.INTER_LINEAR).reshape(h, w_, -1)
        mean = color / np.maximum(weight, 1e-6)
        # a pixel keeps its own (normalised) colour as far as it is known, the rest comes from above
        trust = np.clip(weight * 4.0, 0.0, 1.0)
        filled = mean * trust + up * (1.0 - trust)
    return filled


#: a pixel this close to the hole (pixels at 512) that differs from the background beyond it by more
#: than _STRAY_STEP (0-255, its most different channel) is the person's edge the mask left out
_STRAY_REACH, _STRAY_STEP = 2, 16.0
#: how far along from the background's colour to the person's (1: all the way) such a pixel may lie;
#: past 1, darker or lighter than the person's edge inside (a dark rim of the ring's metal)
_SHARE = 3.0


def stray_rim(image: np.ndarray, hole: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """[H, W] bool: the pixels beside the hole unlike the background just beyond them and towards the
    person's colours just inside (the edge's mix of the two), but not near `kept` (background the rig
    took off the person on purpose: the lit bar of the door beside the basketball player's ball). The
    mask's edge missed the lit outer rim of the astronaut's helmet ring by a pixel or two: left on the
    photo, it stood in the air as a grey arc beside her head once she moved (the demo, frame 60)."""
    reach = max(1, round(_STRAY_REACH * max(hole.shape) / 512))
    dist = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 5)
    near = (dist > 0) & (dist <= reach)
    beyond = (dist > reach) & (dist <= 3 * reach)
    if not (near.any() and beyond.any()):
        return np.zeros(hole.shape, bool)
    near &= ~(cv2.dilate(kept.astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8)) > 0)
    inner = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5)
    pixels = image.astype(np.float32)
    background = pyramid_fill(pixels, beyond.astype(np.float32))
    person = pyramid_fill(pixels, ((inner > 0) & (inner <= 3 * reach)).astype(np.float32))
    span = person - background
    share = ((pixels - background) * span).sum(axis=2) / np.maximum((span**2).sum(axis=2), 1e-6)
    unlike = np.abs(pixels - background).max(axis=2) > _STRAY_STEP
    return near & unlike & (share > 0) & (share < _SHARE)


def inpaint(image: np.ndarray, hole: np.ndarray, method: str, avoid: np.ndarray | None = None) -> np.ndarray:
    """image: uint8 [H, W, 3]; hole: bool [H, W]; avoid: bool [H, W], what the exemplar fill must not
    copy (see `exemplar_fill`). The image with the hole filled, uint8."""
    if not hole.any():
        return image.copy()
    if method == "exemplar":  # texture copied from the photo, along a smooth guide
        return exemplar_fill(image, hole, inpaint(image, hole, "telea"), avoid)
    h, w = hole.shape
    if method == "pyramid":
        filled = pyramid_fill(image.astype(np.float32), (~hole).astype(np.float32))
    else:
        factor = min(1.0, _WORK_SIDE / max(h, w))
        small_size = (max(8, round(w * factor)), max(8, round(h * factor)))
        small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
        small_hole = cv2.resize(hole.astype(np.uint8) * 255, small_size, interpolation=cv2.INTER_AREA)
        small_hole = (small_hole > 0).astype(np.uint8) * 255  # any hole pixel taints its cell
        flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
        small = cv2.inpaint(small, small_hole, 5, flag)
        filled = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    # paste inside the hole with a soft seam so the fill's blur does not end in a hard step
    soft = cv2.GaussianBlur(hole.astype(np.float32), (0, 0), sigmaX=max(1.0, max(h, w) / 256))
    soft = np.maximum(soft, hole.astype(np.float32))[..., None]
    out = image.astype(np.float32) * (1.0 - soft) + filled * soft
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
