"""The thin-plate spline is exact at its points and affine maps stay affine."""

from __future__ import annotations

import numpy as np

from dhcore.tryon import tps


def test_exact_at_control_points_and_finite_between() -> None:
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (6, 2))
    dst = src + rng.normal(0, 5, (6, 2))
    coef = tps.fit(src, dst)
    assert np.allclose(tps.apply(src, coef, src), dst, atol=1e-6)
    assert np.isfinite(tps.apply(src, coef, rng.uniform(-50, 150, (40, 2)))).all()


def test_affine_point_sets_give_the_affine_map() -> None:
    src = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 3]], float)
    m = np.array([[1.2, 0.3], [-0.1, 0.9]])
    dst = src @ m.T + [4, -2]
    coef = tps.fit(src, dst)
    probe = np.array([[20.0, -7.0], [3.0, 40.0]])
    assert np.allclose(tps.apply(src, coef, probe), probe @ m.T + [4, -2], atol=1e-6)
