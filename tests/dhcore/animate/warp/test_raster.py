"""Rasterising a deformed mesh into a backward map: exact for affine motions, layered passes."""

from __future__ import annotations

import numpy as np

from dhcore.animate.warp.raster import Canvas, inverse_affines, skin
from dhcore.animate.warp.rig import Layer

IDENT = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _grid_layer(
    texture: np.ndarray, x0: float, y0: float, step: float, front: np.ndarray | None = None
) -> Layer:
    """A regular grid mesh over the whole texture, placed at (x0, y0), one handle."""
    h, w = texture.shape[:2]
    xs, ys = np.arange(0, w + step, step), np.arange(0, h + step, step)
    gx, gy = np.meshgrid(xs, ys)
    verts = np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)
    rows, cols = gx.shape
    idx = np.arange(rows * cols).reshape(rows, cols)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    tris = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]).astype(np.int32)
    tri_src = verts[tris].astype(np.float64)
    e1, e2 = tri_src[:, 1] - tri_src[:, 0], tri_src[:, 2] - tri_src[:, 0]
    sign = np.sign(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    front = np.zeros(len(tris), bool) if front is None else front
    passes = [(np.arange(len(tris)), ~front)]
    if front.any():
        passes.append((np.nonzero(front)[0], np.ones(int(front.sum()), bool)))
    origin = np.array([x0, y0], np.float32)
    return Layer(
        "core", texture, origin, verts + origin, tris, np.array([0]), np.ones((len(verts), 1), np.float32),
        tri_src, sign, tuple(passes),
    )  # fmt: skip


def test_inverse_affines_map_deformed_corners_back():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 50, (20, 3, 2))
    dst = rng.uniform(0, 50, (20, 3, 2))
    coef, det = inverse_affines(dst, src)
    back_x = coef[0][:, None] * dst[..., 0] + coef[1][:, None] * dst[..., 1] + coef[2][:, None]
    back_y = coef[3][:, None] * dst[..., 0] + coef[4][:, None] * dst[..., 1] + coef[5][:, None]
    np.testing.assert_allclose(np.stack([back_x, back_y], -1), src, atol=1e-6)
    assert (det != 0).all()


def test_translation_is_pixel_exact_and_alpha_composites():
    rng = np.random.default_rng(1)
    texture = np.zeros((40, 60, 4), np.uint8)
    texture[..., :3] = rng.integers(0, 256, (40, 60, 3))
    texture[5:35, 5:55, 3] = 255  # opaque inside, a transparent border
    layer = _grid_layer(texture, 10, 20, 8)
    canvas = Canvas(128, 96)
    frame = np.zeros((96, 128, 4), np.uint8)
    frame[..., 2] = 200  # blue background
    shift = np.array([[1.0, 0.0, 7.0], [0.0, 1.0, -4.0]])
    canvas.draw(frame, layer, skin(layer, shift[None]))
    # texture pixel (x, y) lands at output (x + 10 + 7, y + 20 - 4)
    np.testing.assert_array_equal(frame[16 + 5 : 16 + 35, 17 + 5 : 17 + 55, :3], texture[5:35, 5:55, :3])
    assert (frame[:16, :, 2] == 200).all() and (frame[:, : 17 + 4, 2] == 200).all()


def test_rotation_moves_pixels_where_the_affine_says():
    texture = np.zeros((41, 41, 4), np.uint8)
    texture[18:23, 30:40] = (255, 0, 0, 255)  # a red bar to the right of the centre
    layer = _grid_layer(texture, 30, 30, 10)
    centre = np.array([50.0, 50.0])
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])  # +90 degrees (y down: right -> down)
    a = np.concatenate([rot, (centre - rot @ centre)[:, None]], 1)
    frame = np.zeros((100, 100, 4), np.uint8)
    Canvas(100, 100).draw(frame, layer, skin(layer, a[None]))
    assert frame[50 + 14, 50, 0] == 255 and frame[50, 50 + 14, 0] == 0


def test_front_pass_is_drawn_over_the_back_pass():
    """A layer folded over itself (a forearm over its upper arm): the front part must win
    where they overlap, and its transparent margin must not punch holes in the back part."""
    texture = np.zeros((20, 60, 4), np.uint8)
    texture[:, :20] = (255, 0, 0, 255)  # back part: red, opaque
    texture[6:14, 46:54] = (0, 255, 0, 255)  # front part: green inside a transparent margin
    plain = _grid_layer(texture, 0, 0, 20)
    front = plain.vertices[plain.triangles].mean(1)[:, 0] > 40
    layer = _grid_layer(texture, 0, 0, 20, front=front)
    assert len(layer.passes) == 2
    deformed = layer.vertices.copy()
    deformed[deformed[:, 0] >= 40, 0] -= 40  # fold the front part back over the back part
    frame = np.zeros((20, 60, 4), np.uint8)
    Canvas(60, 20).draw(frame, layer, deformed)
    assert tuple(frame[10, 10, :3]) == (0, 255, 0)  # front over back
    assert tuple(frame[3, 10, :3]) == (255, 0, 0)  # the front's transparent margin shows the back
