"""photo_fit: cover when the aspects agree, the whole photo padded when they do not."""

from __future__ import annotations

import numpy as np

from dhcore.media.geometry import cover_fit, photo_fit


def test_same_aspect_is_the_cover_fit():
    assert photo_fit(1024, 1024, 512, 512) == cover_fit(1024, 1024, 512, 512)
    assert photo_fit(1000, 1010, 512, 512) == cover_fit(1000, 1010, 512, 512)  # crops under 2 %
    assert not photo_fit(1024, 1024, 512, 512).padded


def test_portrait_photo_on_a_square_canvas_keeps_head_and_feet():
    fit = photo_fit(300, 600, 512, 512)
    assert fit.padded and fit.scale == 512 / 600
    top, bottom = fit.to_output_normalized(np.array([[0.5, 0.0], [0.5, 1.0]]))
    assert top[1] == 0.0 and bottom[1] == 1.0  # nothing cropped
    photo = np.zeros((600, 300, 3), np.uint8)
    photo[:, :, 0] = 200
    out = fit.apply(photo)
    pad = fit.padding()
    assert out.shape == (512, 512, 3) and pad.shape == (512, 512)
    assert pad[:, :100].all() and pad[:, -100:].all() and not pad[:, 200:312].any()
    assert abs(pad.mean() - (512 - 256) / 512) < 0.01  # 256 px of photo width, the rest padding
    assert (out[~pad, 0] == 200).all()
