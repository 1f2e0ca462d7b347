"""Frame rates as exact fractions: 29.97 in a spec means NTSC's 30000/1001, not 2997/100.

An inexact rate drifts: over a minute, 2997/100 and 30000/1001 differ by a frame count that
puts audio and video out of step, so rates travel as Fractions and are written to ffmpeg as
`num/den`.
"""

from __future__ import annotations

from fractions import Fraction

#: how close a float must be to an NTSC rate (n * 1000/1001) to be read as one
_NTSC_TOLERANCE = 2e-3


def parse_fps(value: Fraction | float | int | str) -> Fraction:
    """A positive exact rate from a Fraction, an int, a float (NTSC rates snapped) or 'num/den'."""
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, int):
        rate = Fraction(value)
    elif isinstance(value, str):
        try:
            rate = Fraction(value.strip())
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a frame rate: {value!r} (use e.g. 24, 29.97 or 30000/1001)") from exc
        if "/" not in value and "." in value:  # '29.97' as text: same snapping as the float
            return parse_fps(float(rate))
    elif isinstance(value, float):
        ntsc = Fraction(round(value * 1001 / 1000) * 1000, 1001)
        if ntsc and abs(float(ntsc) - value) < _NTSC_TOLERANCE and round(value) != value:
            rate = ntsc
        else:
            rate = Fraction(value).limit_denominator(1001)
    else:
        raise TypeError(f"not a frame rate: {value!r}")
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {value!r}")
    return rate


def fps_text(rate: Fraction) -> str:
    """The form ffmpeg takes: '24' or '30000/1001'."""
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"
