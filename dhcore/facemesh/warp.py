"""A piecewise-affine warp of a portrait from its mesh to moved mesh points.

The control points are the 478 mesh points, a fixed ring around the face (so the background and the
shoulders stay put) and the image border. Delaunay triangles are built once on the source; per frame
each output pixel near the face finds its triangle (rasterised ids) and maps back through that
triangle's affine transform: one `cv2.remap` for the whole face.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import Delaunay

from dhcore.facemesh.expressions import face_frame
from dhcore.facemesh.eyes import lid_skin, seal_eyes
from dhcore.facemesh.landmarks import FACE_OVAL, INNER_LIPS
from dhcore.facemesh.mouth import paint_mouth, seal_lips

#: the fixed ring around the face, in face-oval radii from its centre
RING_SCALE = 1.55
RING_POINTS = 24


def _ring(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    oval = points[FACE_OVAL, :2].astype(np.float64)
    centre = oval.mean(0)
    angles = np.linspace(0, 2 * np.pi, RING_POINTS, endpoint=False)
    radius = np.interp(angles, *_polar(oval - centre), period=2 * np.pi) * RING_SCALE
    ring = centre + np.stack([np.cos(angles), np.sin(angles)], 1) * radius[:, None]
    h, w = shape
    return np.clip(ring, [0, 0], [w - 1, h - 1])


def _polar(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    angles = np.arctan2(v[:, 1], v[:, 0]) % (2 * np.pi)
    order = np.argsort(angles)
    return angles[order], np.linalg.norm(v, axis=1)[order]


def _border(shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    xs, ys = [0, (w - 1) / 2, w - 1], [0, (h - 1) / 2, h - 1]
    return np.array([(x, y) for x in xs for y in ys if (x, y) != ((w - 1) / 2, (h - 1) / 2)], np.float64)


class MeshWarp:
    """Warps one portrait (RGB uint8) from its mesh `points` [478, 2|3] to any moved copy of them."""

    def __init__(self, image: np.ndarray, points: np.ndarray) -> None:
        self.image = np.ascontiguousarray(image[..., :3])
        h, w = self.image.shape[:2]
        self.source = points[:, :2].astype(np.float64)
        self._fixed = np.vstack([_ring(points, (h, w)), _border((h, w))])
        controls = np.vstack([self.source, self._fixed])
        self.triangles = Delaunay(controls).simplices.astype(np.int32)
        self._controls = controls
        corners = controls[self.triangles]
        self._boxes = np.stack([corners.min(1) - 0.5, corners.max(1) + 0.5], 1).astype(
            np.float32
        )  # [T, 2, 2]
        x0, y0 = np.floor(self._fixed[:RING_POINTS].min(0)).astype(int)
        x1, y1 = np.ceil(self._fixed[:RING_POINTS].max(0)).astype(int) + 1
        self.roi = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
        self._iod = face_frame(points)[2]
        self._lids = lid_skin(self.image, points, self._iod)
        gy, gx = np.mgrid[self.roi[1] : self.roi[3], self.roi[0] : self.roi[2]]
        self._grid = np.stack([gx, gy, np.ones_like(gx)], -1).astype(np.float32)

    def _affines(self, target: np.ndarray) -> np.ndarray:
        """[triangles, 2, 3]: target pixel (x, y, 1) -> source pixel, per triangle."""
        src, dst = self._controls[self.triangles], target[self.triangles]  # [T, 3, 2]
        dst_h = np.concatenate([dst, np.ones((*dst.shape[:2], 1))], -1)  # [T, 3, 3]
        det = np.linalg.det(dst_h)
        ok = np.abs(det) > 1e-9
        out = np.zeros((len(src), 2, 3))
        out[ok] = np.transpose(np.linalg.solve(dst_h[ok], src[ok]), (0, 2, 1))
        out[~ok, :, 2] = src[~ok].mean(1)  # a collapsed triangle shows its source's middle
        return out.astype(np.float32)

    def warp(self, points: np.ndarray, mouth: bool = True) -> np.ndarray:
        """The portrait with its face moved to `points` [478, 2|3] (the fixed ring and border stay)."""
        target = np.vstack([points[:, :2].astype(np.float64), self._fixed])
        x0, y0, x1, y1 = self.roi
        ids = np.full((y1 - y0, x1 - x0), -1, np.float32)  # float: exact ids, and cv2.dilate takes it
        local = np.round((target - (x0, y0)) * 4).astype(np.int32)  # 2 bits of sub-pixel precision
        for i, tri in enumerate(self.triangles):
            cv2.fillConvexPoly(ids, local[tri], float(i), lineType=cv2.LINE_8, shift=2)
        gaps = ids < 0  # pixels on shared edges that no fill took: a neighbour's triangle
        ids[gaps] = cv2.dilate(ids, np.ones((3, 3), np.uint8))[gaps]
        ids = ids.astype(np.int32)
        affines = self._affines(target)
        tri = np.maximum(ids, 0)
        maps = np.einsum("hwij,hwj->hwi", affines[tri], self._grid)
        # a sliver or a folded triangle extrapolates far: keep each pixel inside its source triangle's box
        np.clip(maps, self._boxes[tri, 0], self._boxes[tri, 1], out=maps)
        maps[ids < 0] = self._grid[ids < 0, :2]
        out = self.image.copy()
        out[y0:y1, x0:x1] = cv2.remap(
            self.image, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        if mouth:
            paint_mouth(out, points[INNER_LIPS, :2], self.source[INNER_LIPS], self._iod)
            seal_lips(out, points[INNER_LIPS, :2], self.source[INNER_LIPS], self._iod)
        seal_eyes(out, points, self.source, self._iod, self._lids)
        return out
