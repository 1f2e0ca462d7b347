"""The realism figure of a swapped face: does it look pasted?

Measured from the image before and after (the changed region is found from their difference, so
any swap engine can be judged alike), plus the engine's own warp distortion:
- seam: edge energy the swap added along the changed region's border (gradient magnitude of L
  after minus before, positive part, over a thin ring), relative to the face's own mean gradient:
  0 for an invisible border, ~1 for a border as strong as the face's features;
- tone: the lightness/colour jump across that border (CIE Lab delta E between a ring inside and a
  ring outside) beyond the jump the original image had there;
- sharpness: how much crisper the new face is than the one it replaced (log ratio of the mean
  |Laplacian| inside, positive part): a sharp face in a soft photo looks pasted;
- distortion: how far the mesh warp is from a similarity (area-weighted |log| of each triangle's
  singular values over the global scale; 0 for a rigid, uniformly scaled face).
realism = 1 / (1 + seam / SEAM_UNIT + tone / TONE_UNIT + sharpness / SHARPNESS_UNIT
+ distortion / DISTORTION_UNIT): 1 is
seamless, 0.5 is one "unit" of visible artefact.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

SEAM_UNIT = 0.5
TONE_UNIT = 8.0  # delta E
SHARPNESS_UNIT = 0.7  # about twice the detail
DISTORTION_UNIT = 0.6
#: a pixel counts as changed when some channel moved by more than this
CHANGE_TOLERANCE = 4


@dataclass(frozen=True)
class Realism:
    realism: float
    seam: float
    tone: float
    sharpness: float
    distortion: float

    def metrics(self, prefix: str = "") -> dict[str, float]:
        return {prefix + k: round(v, 6) for k, v in asdict(self).items()}


def changed_region(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The largest connected region that moved, holes filled (uint8 0/255)."""
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(axis=2) > CHANGE_TOLERANCE
    mask = cv2.morphologyEx(diff.astype(np.uint8) * 255, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count < 2:
        return np.zeros(mask.shape, np.uint8)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    contours, _ = cv2.findContours(
        (labels == largest).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
    )
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
    return filled


def _ring(mask: np.ndarray, inner: int, outer: int) -> np.ndarray:
    def morph(op: int, r: int) -> np.ndarray:
        if r == 0:
            return mask > 0
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(r) + 1, 2 * abs(r) + 1))
        return op(mask, kernel) > 0

    a = morph(cv2.dilate, outer) if outer > 0 else morph(cv2.erode, -outer)
    b = morph(cv2.dilate, inner) if inner > 0 else morph(cv2.erode, -inner)
    return a & ~b


def _grad(lab_l: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(lab_l, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lab_l, cv2.CV_32F, 0, 1, ksize=3)
    return np.hypot(gx, gy)


def _jump(lab: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> float:
    return float(np.linalg.norm(lab[inside].mean(0) - lab[outside].mean(0)))


def measure(
    before: np.ndarray, after: np.ndarray, distortion: float = 0.0, mask: np.ndarray | None = None
) -> Realism | None:
    """The realism of `after` (RGB) as a swap of `before`; None when nothing changed."""
    region = changed_region(before, after) if mask is None else (mask > 0).astype(np.uint8) * 255
    area = int((region > 0).sum())
    if area < 64:
        return None
    r = max(2, int(round(0.02 * np.sqrt(area))))
    lab_b = cv2.cvtColor(before, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab_a = cv2.cvtColor(after, cv2.COLOR_RGB2LAB).astype(np.float32)
    border = _ring(region, -r, r)
    g_b, g_a = _grad(lab_b[..., 0]), _grad(lab_a[..., 0])
    face_gradient = float(g_a[region > 0].mean()) + 1.0
    seam = float(np.clip(g_a[border] - g_b[border], 0, None).mean()) / face_gradient
    inside, outside = _ring(region, -3 * r, -r), _ring(region, r, 3 * r)
    tone = 0.0
    if inside.sum() >= 16 and outside.sum() >= 16:
        tone = max(0.0, _jump(lab_a, inside, outside) - _jump(lab_b, inside, outside))
    inner = region > 0
    lap_b = np.abs(cv2.Laplacian(lab_b[..., 0], cv2.CV_32F))[inner].mean()
    lap_a = np.abs(cv2.Laplacian(lab_a[..., 0], cv2.CV_32F))[inner].mean()
    sharpness = max(0.0, float(np.log((lap_a + 1.0) / (lap_b + 1.0))))
    units = seam / SEAM_UNIT + tone / TONE_UNIT + sharpness / SHARPNESS_UNIT + distortion / DISTORTION_UNIT
    return Realism(1.0 / (1.0 + units), seam, tone, sharpness, float(distortion))


def warp_distortion(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray) -> float:
    """Area-weighted distance of a triangle mesh warp from a similarity (0: rigid and uniform)."""
    s, d = np.asarray(src, np.float64)[triangles], np.asarray(dst, np.float64)[triangles]
    es, ed = s[:, 1:] - s[:, :1], d[:, 1:] - d[:, :1]  # [T, 2, 2] edge vectors (rows)
    area_s = np.abs(np.linalg.det(es)) / 2
    area_d = np.abs(np.linalg.det(ed)) / 2
    ok = (area_s > 1e-6) & (area_d > 1e-6)
    if not ok.any():
        return 0.0
    linear = np.linalg.solve(es[ok], ed[ok])  # rows: src edges @ linear = dst edges
    sv = np.linalg.svd(linear, compute_uv=False)  # [T, 2]
    scale = np.sqrt(area_d[ok].sum() / area_s[ok].sum())
    per = np.abs(np.log(np.clip(sv / scale, 1e-3, None))).sum(1)
    return float((per * area_d[ok]).sum() / area_d[ok].sum())
