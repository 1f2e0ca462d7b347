"""Face alignment to model templates from 5 key points, and feathered paste-back.

Templates: FFHQ 512 (GFPGAN, CodeFormer, the classical restorer) and ArcFace 112/128
(recognition, inswapper). Key point order everywhere: eye centres (image-left, image-right),
nose tip, mouth corners (left, right).
"""

from __future__ import annotations

import cv2
import numpy as np

#: FFHQ-aligned 512x512 face: the points GFPGAN and CodeFormer were trained with
FFHQ_512 = np.array(
    [[192.98138, 239.94708], [318.90277, 240.1936], [256.63416, 314.01935],
     [201.26117, 371.41043], [313.08905, 371.15118]], np.float32,
)  # fmt: skip
#: ArcFace 112x112 alignment (insightface)
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    np.float32,
)


def template(name: str, size: int) -> np.ndarray:
    """Template points for a crop of `size` pixels."""
    if name == "ffhq":
        return FFHQ_512 * (size / 512.0)
    if name == "arcface":
        if size % 112 == 0:
            return ARCFACE_112 * (size / 112.0)
        # insightface's convention for 128-px crops (inswapper): unscaled, shifted right by 8 px
        scale = size / 128.0
        return (ARCFACE_112 + np.array([8.0, 0.0], np.float32)) * scale
    raise ValueError(f"unknown template {name!r}")


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (rotation, uniform scale, shift) src -> dst, as [2, 3]."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    var = (s**2).sum() / len(src)
    scale = (sig * np.diag(sign)).sum() / var if var > 0 else 1.0
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m.astype(np.float32)


def warp_face(image: np.ndarray, kps: np.ndarray, name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The aligned face crop and the frame -> crop matrix."""
    m = similarity(kps, template(name, size))
    crop = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return crop, m


def transform_points(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    return (np.asarray(points, np.float32) @ m[:, :2].T + m[:, 2]).astype(np.float32)


def box_mask(size: int, margin: float = 0.05, blur: float = 0.08) -> np.ndarray:
    """A feathered square mask for a crop: 0 at the border, 1 inside."""
    mask = np.zeros((size, size), np.float32)
    pad = int(round(size * (margin + blur)))
    mask[pad : size - pad, pad : size - pad] = 1.0
    sigma = max(0.5, size * blur / 2.5)
    return cv2.GaussianBlur(mask, (0, 0), sigma)


def hull_mask(points: np.ndarray, size: tuple[int, int], feather: float) -> np.ndarray:
    """A feathered convex-hull mask (h, w) of points; `feather` is the blur radius in pixels.

    The hull is shrunk by the feather radius first, so the mask is exactly 0 outside the hull.
    """
    h, w = size
    mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 255)
    k = max(1, int(round(feather)))
    mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), max(0.5, k / 2.0))
    return soft


def paste_back(
    frame: np.ndarray, crop: np.ndarray, m: np.ndarray, mask: np.ndarray, strength: float = 1.0
) -> np.ndarray:
    """`crop` (aligned by frame->crop matrix m) blended into a copy of `frame` through `mask`.

    Only the region the crop covers is touched; pixels where the warped mask is 0 keep their
    exact original values.
    """
    out = frame.copy()
    if strength <= 0:
        return out
    h, w = frame.shape[:2]
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))  # crop pixels per frame pixel
    if scale > 1.25:  # shrink with area averaging first: warpAffine alone would alias fine detail
        size = max(8, int(round(crop.shape[0] / scale)))
        f = size / crop.shape[0]
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
        m = m * f
    inv = cv2.invertAffineTransform(m)
    size = crop.shape[1], crop.shape[0]
    corners = transform_points(np.array([[0, 0], [size[0], 0], [0, size[1]], [size[0], size[1]]]), inv)
    x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(corners.max(0)).astype(int) + 1, [w, h])
    if x1 <= x0 or y1 <= y0:
        return out
    inv_roi = inv.copy()
    inv_roi[:, 2] -= [x0, y0]
    roi_size = (int(x1 - x0), int(y1 - y0))
    warped = cv2.warpAffine(crop, inv_roi, roi_size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(
        mask.astype(np.float32), inv_roi, roi_size, flags=cv2.INTER_LINEAR, borderValue=0.0
    )
    alpha = np.clip(alpha * float(strength), 0.0, 1.0)[..., None]
    region = out[y0:y1, x0:x1]
    blended = region.astype(np.float32) * (1.0 - alpha) + warped.astype(np.float32) * alpha
    out[y0:y1, x0:x1] = np.where(alpha > 0, np.clip(blended + 0.5, 0, 255), region).astype(np.uint8)
    return out
