"""Frame rates parse to exact fractions; NTSC floats snap to n*1000/1001."""

from __future__ import annotations

from fractions import Fraction

import pytest

from dhcore.media.rate import fps_text, parse_fps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (24, Fraction(24)),
        (24.0, Fraction(24)),
        (29.97, Fraction(30000, 1001)),
        (23.976, Fraction(24000, 1001)),
        (59.94, Fraction(60000, 1001)),
        ("30000/1001", Fraction(30000, 1001)),
        ("29.97", Fraction(30000, 1001)),
        ("25", Fraction(25)),
        (12.5, Fraction(25, 2)),
        (Fraction(30000, 1001), Fraction(30000, 1001)),
    ],
)
def test_parse_fps(value: object, expected: Fraction) -> None:
    assert parse_fps(value) == expected


@pytest.mark.parametrize("value", [0, -24, "0/1", "abc", "24/0"])
def test_bad_rates_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_fps(value)


def test_fps_text() -> None:
    assert fps_text(Fraction(24)) == "24"
    assert fps_text(Fraction(30000, 1001)) == "30000/1001"
