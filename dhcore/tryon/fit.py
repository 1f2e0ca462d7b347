"""How a worn garment sits on the body and how real it looks: what a person's eye checks first.

Placement (the pose's joints and the person's outline in the original photo):
- collar_offset (tops): where the garment starts along the body's centre line, below the shoulder line, in
  shoulder widths (0: the collar at the neck base; a top that slipped down reads 0.3 and more).
- shoulder_cover (tops): share of the strips on and just above both shoulders the garment covers: a top
  slipped down or tilted leaves a shoulder bare.
- torso_cover (tops): share of the torso (shoulders to hips, inside the person's outline, less what the head
  and forearms hide) the garment covers: a top sitting low, too small or tilted leaves it bare.
- legs_cover (bottoms): share of the legs, hips to ankles, the garment covers.
- garment_outside: share of the worn garment off the body it belongs on (a top: the torso and the
  arms; a bottom: the pelvis and the legs; inside the person's outline, both grown by a margin): a
  sleeve sticking out past the arm, cloth over the background or over an object in front.
- garment_upscale: how much the product photo's garment pixels were enlarged (linear): above ~2 the
  cloth reads blurred next to the sharp face.

Realism (original photo vs result):
- seam_new_edges: share of the garment's border inside the person (not at their outline) along which
  the result shows an edge the photo had nowhere near: a cut-out laid on clothing.
- shading_agreement: correlation, at the scale of folds, between the light the result puts on the
  garment (result / unshaded warped product) and the person's own light in the photo, on the old
  clothing's own cloth (not its badges or straps): 0 for a flat cut-out, near 1 when the new cloth
  keeps the old folds and shadows.
"""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.animate.warp.body import Body, draw_segments
from dhcore.tryon import bottoms
from dhcore.tryon.zones import in_front, masked_blur, wear_zone

#: the body zone's margin, in shoulder widths
MARGIN = 0.06
#: an edge: this colour step (Lab units per pixel, Sobel of the lightly smoothed image)
EDGE = 6.0
#: fold scale: the band between these Gaussian blurs (in shoulder widths) carries folds and shadows
FOLD_FINE, FOLD_COARSE = 0.015, 0.12
#: the old clothing's own cloth: this close (Lab, lightness a third) to its median colour
OWN_COLOUR = 18.0


def _disc(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * size + 1, 2 * size + 1))


def _axes(body: Body) -> tuple[np.ndarray, np.ndarray, float]:
    rs, ls, lh, rh = body.torso
    down = (rh + lh) / 2 - (rs + ls) / 2
    return (rs + ls) / 2, down / max(np.linalg.norm(down), 1e-6), float(np.linalg.norm(ls - rs))


def collar_offset(worn: np.ndarray, body: Body) -> float:
    """Shoulder widths from the shoulder line down to the garment's first pixel on the centre line
    (the head and forearms in front count as garment: they may hide the collar); 1 when none."""
    mid, down, width = _axes(body)
    covered = worn | in_front(body, worn.shape)
    across = np.array([down[1], -down[0]])
    h, w = worn.shape
    for t in np.arange(0.0, 1.0, 0.01):
        for s in np.linspace(-0.08, 0.08, 5):  # a few pixels either side: a print's hole is no gap
            x, y = np.round(mid + width * (t * down + s * across)).astype(int)
            if 0 <= x < w and 0 <= y < h and covered[y, x]:
                return float(t)
    return 1.0


def shoulder_cover(worn: np.ndarray, body: Body) -> float:
    """Share of the two shoulder strips (the outer thirds of the shoulder line, up to a tenth of the
    shoulder width above it) the garment, or the head in front, covers: a top slipped down or tilted
    leaves a shoulder bare."""
    rs, ls = body.torso[0], body.torso[1]
    mid, down, width = _axes(body)
    covered = worn | in_front(body, worn.shape)
    h, w = worn.shape
    hits = []
    for f in np.r_[np.linspace(0.0, 0.3, 7), np.linspace(0.7, 1.0, 7)]:
        for up in (0.0, 0.05, 0.1):
            x, y = np.round(rs + f * (ls - rs) - up * width * down).astype(int)
            if 0 <= x < w and 0 <= y < h:
                hits.append(covered[y, x])
    return float(np.mean(hits)) if hits else float("nan")


def torso_cover(worn: np.ndarray, person: np.ndarray, body: Body) -> float:
    torso = np.zeros(worn.shape, np.uint8)
    cv2.fillPoly(torso, [np.round(body.torso).astype(np.int32)], 1)
    bare = (torso > 0) & person & ~in_front(body, worn.shape)
    return float(worn[bare].mean()) if bare.any() else float("nan")


def legs_cover(worn: np.ndarray, person: np.ndarray, body: Body) -> float:
    """Share of the legs (hips to ankles, inside the person's outline, less the forearms in front)
    a bottom covers: trousers that stop at the knee, or slid off a leg, leave it bare."""
    legs = [s for part in bottoms.LEGS for s in body.segments.get(part, [])]
    bare = draw_segments(legs, worn.shape, 0, max(2, round(0.25 * body.scale))) > 0
    bare &= person & ~in_front(body, worn.shape)
    return float(worn[bare].mean()) if bare.any() else float("nan")


def garment_outside(worn: np.ndarray, person: np.ndarray, body: Body, category: str = "top") -> float:
    grow = max(1, round(MARGIN * body.scale))
    zone = bottoms.wear_zone(body, person, grow) if category == "bottom" else wear_zone(body, person, grow)
    return float((worn & ~zone).sum() / max(worn.sum(), 1))


def garment_upscale(worn: np.ndarray, product_mask: np.ndarray) -> float:
    return float(np.sqrt(worn.sum() / max(product_mask.sum(), 1)))


def edge_strength(image: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(cv2.GaussianBlur(image, (0, 0), 1.0), cv2.COLOR_RGB2LAB).astype(np.float32)
    gx, gy = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt((gx**2 + gy**2).sum(axis=2)) / 8


def seam_new_edges(photo: np.ndarray, result: np.ndarray, worn: np.ndarray, person: np.ndarray) -> float:
    w8 = worn.astype(np.uint8)
    border = (cv2.dilate(w8, _disc(1)) > 0) & ~(cv2.erode(w8, _disc(1)) > 0)
    inner = cv2.erode(person.astype(np.uint8), _disc(4)) > 0  # not the person's own outline
    seam = border & inner
    if not seam.any():
        return 0.0
    before, after = (cv2.dilate(edge_strength(x), _disc(2)) for x in (photo, result))
    new = (after > EDGE) & (after > 2 * before)
    return float(new[seam].mean())


def own_cloth(photo: np.ndarray, region: np.ndarray, scale: float) -> np.ndarray:
    """The region's pixels of its clothing's own cloth: near its median colour (Lab, lightness
    weighted a third). Badges, straps, lettering and an undershirt are not light, so not read."""
    if not region.any():
        return region
    smooth = cv2.medianBlur(photo, max(3, 2 * round(0.012 * scale) + 1))
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB).astype(np.float32)
    cloth = np.median(lab[region], axis=0)
    # lightness counts a third: shadow and light on the same cloth stay in, a white shirt under a
    # dark jacket (both grey) does not
    gap = (lab - cloth) * np.array([1 / 3, 1, 1], np.float32)
    own = region & (np.linalg.norm(gap, axis=2) < OWN_COLOUR)
    return own if own.sum() > 0.2 * region.sum() else region


def _band(values: np.ndarray, weight: np.ndarray, scale: float) -> np.ndarray:
    fine = masked_blur(values, weight, max(1.0, FOLD_FINE * scale))
    return fine - masked_blur(values, weight, max(2.0, FOLD_COARSE * scale))


def shading_agreement(
    photo: np.ndarray,
    result: np.ndarray,
    warped: np.ndarray,
    worn: np.ndarray,
    person: np.ndarray,
    scale: float,
) -> float:
    region = cv2.erode((worn & person).astype(np.uint8), _disc(3)) > 0
    region = own_cloth(photo, region, scale)
    if region.sum() < 100:
        return float("nan")

    def luma(image: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) + 8.0

    weight = region.astype(np.float32)
    light = _band(np.log(luma(result) / luma(warped)), weight, scale)[region]
    own = _band(np.log(luma(photo)), weight, scale)[region]
    if light.std() < 1e-3 or own.std() < 1e-3:
        return 0.0
    return float(np.corrcoef(light, own)[0, 1])
