"""A thin-plate spline between two point sets (exact at the points, smoothest in between)."""

from __future__ import annotations

import numpy as np


def _u(r2: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r2 > 0, r2 * np.log(np.maximum(r2, 1e-12)) / 2, 0.0)


def fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of the spline taking src [n, 2] to dst [n, 2]: (weights [n, 2], affine [3, 2])."""
    n = len(src)
    k = _u(((src[:, None, :] - src[None, :, :]) ** 2).sum(-1))
    p = np.hstack([np.ones((n, 1)), src])
    system = np.zeros((n + 3, n + 3))
    system[:n, :n], system[:n, n:], system[n:, :n] = k, p, p.T
    rhs = np.zeros((n + 3, 2))
    rhs[:n] = dst
    coef = np.linalg.solve(system, rhs)
    return coef[:n], coef[n:]


def apply(src: np.ndarray, coef: tuple[np.ndarray, np.ndarray], points: np.ndarray) -> np.ndarray:
    """The spline fitted on `src` at `points` [..., 2]."""
    weights, affine = coef
    flat = points.reshape(-1, 2).astype(np.float64)
    out = affine[0] + flat @ affine[1:]
    for c, w in zip(src, weights, strict=True):
        out += _u(((flat - c) ** 2).sum(-1))[:, None] * w
    return out.reshape(points.shape)
