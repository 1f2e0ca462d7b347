"""Per-frame work: skin the vertices, rasterise the deformed mesh as a backward map, remap, blend.

Warping each triangle with its own cv2.warpAffine costs ~1000 calls of full-size work per
frame. Instead each deformed triangle is painted once with its index (cv2.fillConvexPoly,
~1.5 us each), every covered pixel looks up its triangle's inverse affine, and a single
cv2.remap samples the layer's RGBA texture (~1 ms at 512x512). Flipped triangles (folds at
a sharply bent joint) are painted first so that the properly oriented ones on top win.
The frame is kept as RGBA so cv2.blendLinear composites the remapped texture without a copy.
"""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.animate.warp.rig import Layer

_SUB = 16  # fillConvexPoly's fixed-point scale (shift=4): sub-pixel triangle edges
_OUTSIDE = -1.0e5  # map value that samples nothing (BORDER_CONSTANT -> transparent)


def skin(layer: Layer, transforms: np.ndarray) -> np.ndarray:
    """Linear blend skinning: [N, 2] deformed vertex positions."""
    blended = layer.weights @ transforms[layer.handles].reshape(len(layer.handles), 6).astype(np.float32)
    v = layer.vertices
    x = blended[:, 0] * v[:, 0] + blended[:, 1] * v[:, 1] + blended[:, 2]
    y = blended[:, 3] * v[:, 0] + blended[:, 4] * v[:, 1] + blended[:, 5]
    return np.stack([x, y], 1)


def inverse_affines(dst: np.ndarray, src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle, the affine taking deformed (dst) corners to texture (src) corners.

    dst, src: [T, 3, 2]. Returns coefficients [6, T] (x' = c0 x + c1 y + c2, y' = c3 x +
    c4 y + c5) and the signed doubled area of each deformed triangle (0: degenerate).
    """
    d0 = dst[:, 0]
    e1, e2 = dst[:, 1] - d0, dst[:, 2] - d0
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    inv_det = 1.0 / np.where(det == 0, 1.0, det)
    # (u, v) = Inv @ (p - d0) are the barycentric weights of corners 1 and 2
    i00, i01 = e2[:, 1] * inv_det, -e2[:, 0] * inv_det
    i10, i11 = -e1[:, 1] * inv_det, e1[:, 0] * inv_det
    s0, f1, f2 = src[:, 0], src[:, 1] - src[:, 0], src[:, 2] - src[:, 0]
    ax = f1[:, 0] * i00 + f2[:, 0] * i10
    bx = f1[:, 0] * i01 + f2[:, 0] * i11
    ay = f1[:, 1] * i00 + f2[:, 1] * i10
    by = f1[:, 1] * i01 + f2[:, 1] * i11
    cx = s0[:, 0] - ax * d0[:, 0] - bx * d0[:, 1]
    cy = s0[:, 1] - ay * d0[:, 0] - by * d0[:, 1]
    return np.stack([ax, bx, cx, ay, by, cy]), det


class Canvas:
    """Draws layers into RGBA frames of one size, reusing its buffers.

    The backward map is computed at half resolution and upsampled: inside a layer it is
    continuous and piecewise affine, and a 2x bilinear upsample with half-pixel centres
    reproduces an affine function exactly; where samples of different triangles meet (a fold),
    the few pixels between them are mapped exactly. The per-pixel numpy work drops to about a quarter.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        half = (height // 2 + 4) * (width // 2 + 4)
        self._ids = np.empty(half, np.int32)
        self._buf = np.empty((3, half), np.float32)

    def draw(self, frame: np.ndarray, layer: Layer, deformed: np.ndarray) -> None:
        """Composite the deformed layer over frame (uint8 [H, W, 4] RGBA, modified in place)."""
        side = max(self.width, self.height)
        deformed = np.clip(deformed, -2 * side, 3 * side)  # keeps fixed-point coordinates in int32
        tri_dst = deformed[layer.triangles]  # [T, 3, 2]
        lo, hi = tri_dst.min(1), tri_dst.max(1)
        onscreen = (hi[:, 0] >= 0) & (hi[:, 1] >= 0) & (lo[:, 0] < self.width) & (lo[:, 1] < self.height)
        if not onscreen.any():
            return
        coef, det = inverse_affines(tri_dst.astype(np.float64), layer.tri_src)
        drawn = onscreen & (np.abs(det) > 1e-6)
        flipped = np.sign(det) != layer.src_sign
        # index -1 (no triangle) reads the appended last entry, which samples outside the texture
        outside = [[0.0], [0.0], [_OUTSIDE], [0.0], [0.0], [_OUTSIDE]]
        table = np.concatenate([coef, outside], 1).astype(np.float32)
        for members, own in layer.passes:
            keep = drawn[members]
            use, mine = members[keep], own[keep]
            if len(use):
                # later fills win: others' triangles first (they only fill the seams), then
                # this pass's folded-over triangles, then its properly oriented ones
                order = np.concatenate([use[~mine], use[mine & flipped[use]], use[mine & ~flipped[use]]])
                self._draw_pass(frame, layer, tri_dst, lo[use], hi[use], table, order)

    def _draw_pass(self, frame, layer: Layer, tri_dst, lo, hi, table, order: np.ndarray) -> None:
        x0, y0 = (max(0, int(v)) for v in np.floor(lo.min(0)))
        x1 = min(self.width, int(np.ceil(hi[:, 0].max())) + 1)
        y1 = min(self.height, int(np.ceil(hi[:, 1].max())) + 1)
        if x0 >= x1 or y0 >= y1:
            return
        h, w = y1 - y0, x1 - x0
        # half-resolution grid, one sample beyond each side so the upsample never clamps:
        # sample (i, j) sits at full-resolution coordinate (ox + 2 j, oy + 2 i)
        ox, oy = x0 - 1.5, y0 - 1.5
        h2, w2 = (h + 5) // 2, (w + 5) // 2
        ids = self._ids[: h2 * w2].reshape(h2, w2)
        ids.fill(-1)
        pts = np.round((tri_dst - np.array([ox, oy], np.float32)) * (_SUB / 2)).astype(np.int32)
        fill = cv2.fillConvexPoly
        for i in order.tolist():
            fill(ids, pts[i], i, cv2.LINE_8, 4)

        map_x, map_y, tmp = (b[: h2 * w2].reshape(h2, w2) for b in self._buf)
        xs = (ox + 2 * np.arange(w2, dtype=np.float32))[None, :]
        ys = (oy + 2 * np.arange(h2, dtype=np.float32))[:, None]
        for k, out in ((0, map_x), (3, map_y)):
            np.take(table[k], ids, out=out, mode="wrap")
            out *= xs
            np.take(table[k + 1], ids, out=tmp, mode="wrap")
            tmp *= ys
            out += tmp
            np.take(table[k + 2], ids, out=tmp, mode="wrap")
            out += tmp
        # 2x up: full pixel x reads half sample x / 2 - 0.25, i.e. coordinate ox + x + 1.5 - 1.5
        full = (2 * w2, 2 * h2)
        crop = (slice(2, 2 + h), slice(2, 2 + w))
        up_x = cv2.resize(map_x, full, interpolation=cv2.INTER_LINEAR)[crop]
        up_y = cv2.resize(map_y, full, interpolation=cv2.INTER_LINEAR)[crop]
        _exact_where_mixed(up_x, up_y, ids, table, x0, y0)
        rgba = cv2.remap(layer.texture, up_x, up_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        alpha = rgba[..., 3].astype(np.float32)
        alpha *= 1.0 / 255.0
        region = frame[y0:y1, x0:x1]
        region[...] = cv2.blendLinear(rgba, region, alpha, 1.0 - alpha)


def _exact_where_mixed(up_x, up_y, ids, table, x0: int, y0: int) -> None:
    """Where a pixel's four half-resolution samples lie in different triangles, its map is taken from
    the nearest sample's triangle alone, not blended. Across a fold (the mesh lying over itself) the
    samples map to far-apart texture points, and a blend of them read a third one between them: the
    basketball player's folded right arm drew thin bright lines of its forearm's skin round it."""
    h, w = up_x.shape
    a, b, c, d = ids[:-1, :-1], ids[:-1, 1:], ids[1:, :-1], ids[1:, 1:]
    # not at the mesh's edge (a sample in no triangle: the ids' OR is negative), which keeps its blend
    # towards nothing, a cut and not a step out
    cy, cx = np.nonzero(((a != b) | (a != c) | (a != d)) & ((a | b | c | d) >= 0))
    if not len(cy):
        return
    # full pixel x reads half sample x / 2 + 0.75: pixels 2 j - 1 and 2 j lie between samples j and j + 1
    ys = np.concatenate([2 * cy - 1, 2 * cy - 1, 2 * cy, 2 * cy])
    xs = np.concatenate([2 * cx - 1, 2 * cx, 2 * cx - 1, 2 * cx])
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    ys, xs = ys[inside], xs[inside]
    tri = ids[(2 * ys + 5) // 4, (2 * xs + 5) // 4]  # the nearest sample's
    px, py = (xs + x0).astype(np.float32), (ys + y0).astype(np.float32)
    up_x[ys, xs] = table[0][tri] * px + table[1][tri] * py + table[2][tri]
    up_y[ys, xs] = table[3][tri] * px + table[4][tri] * py + table[5][tri]
