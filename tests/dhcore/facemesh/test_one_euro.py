import numpy as np

from dhcore.facemesh.one_euro import jitter, one_euro


def test_still_noise_is_damped_and_a_move_is_followed() -> None:
    rng = np.random.default_rng(0)
    still = 100 + rng.normal(0, 1.0, (60, 5, 2))
    smoothed = one_euro(still, fps=25, min_cutoff=1.0, beta=0.1)
    assert jitter(smoothed, 1.0) < 0.3 * jitter(still, 1.0)
    ramp = np.linspace(0, 200, 60)[:, None, None] * np.ones((60, 5, 2))
    followed = one_euro(ramp, fps=25, min_cutoff=1.0, beta=0.5)
    assert np.abs(followed[-1] - ramp[-1]).max() < 8.0  # the lag stays small while moving fast


def test_jitter_is_zero_for_constant_velocity() -> None:
    track = np.arange(10, dtype=float)[:, None, None] * np.ones((10, 3, 2))
    assert jitter(track, 10.0) == 0.0
