"""The target of a photo that shows only a head (cut off at the neck: `pose.extract` keeps its face
points alone): the driver's head motion as one rigid move of the photo's head, bounded.

The animator moves such a head, with the hair and whatever of the collar the photo shows, as one
layer; where it was, the filled background shows. Per frame the move (a similarity fitted from the
photo's face points to the target's) is limited to MAX_ROLL degrees of roll (never upside down) and
SCALE in size, then cut down to the share of it (k, eased over frames) that uncovers at most FILLED of
the frame. The target is that move of the photo's face points (see `limit`), so the face stages, the
animator and the metrics all read the head where it is drawn.

The uncovered area is measured on the photo's region from the top of the head down to its bottom
edge, across the whole width: a head cut off at the neck fills the photo's bottom edge (the collar
of a portrait spans it; a tight face crop is face nearly everywhere), so this is an upper bound.
"""

from __future__ import annotations

import numpy as np

from dhcore.pose.framing import HEAD, ease
from dhcore.pose.keypoints import N_BODY, J
from dhcore.pose.skeleton_tree import FACE

#: roll limit (degrees) of the head against the photo's
MAX_ROLL = 20.0
#: size limits of the head against the photo's: shrunk, it uncovers the filled background all round
SCALE = (0.9, 1.2)
#: at most this share of the frame may show the background filled in where the head was
FILLED = 0.05
#: the exposure check's grid, points per side
_GRID = 48
NECK = J["neck"]


def shows_only_head(ref_visible: np.ndarray) -> bool:
    """Whether a reference pose's visible body joints ([>= 18] bool) are face points only, two at least."""
    body = ref_visible[:N_BODY]
    return int(body[HEAD].sum()) >= 2 and not body[[j for j in range(N_BODY) if j not in HEAD]].any()


def limit(
    points: np.ndarray, visible: np.ndarray, reference: np.ndarray, ref_visible: np.ndarray,
    width: int, height: int, start: int = 0,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """points [F, 128, 3] normalized output coords (visible [F, 128]); reference [128, 3] the photo's
    pose in the same coords; start: the align frame. Returns the head-only target and per frame the
    share k [F] of the head's move kept (1: all of it).

    The head's move in a frame is the target face's move since the align frame (the frame nearest it
    that shows a face): its turn and size change about the photo's face, its shift that of the face
    points' centre, so the align frame shows the photo's head as it is. The target holds per frame the
    photo's face points moved by the limited move and the driver's 68 face points moved with them;
    nothing else: the body the photo does not show is not asked for. A frame whose driver shows no
    face point but its neck (seen from behind) has the head follow the neck from the nearest frame
    that shows both; one with neither asks for nothing (the animator holds the head)."""
    size = np.array([width, height], np.float64)
    ref = _complex(reference[:N_BODY, :2] * size)
    face = [j for j in HEAD if ref_visible[j]]
    centre = complex(ref[face].mean())
    radius = max(float(np.ptp(ref[face].real)), float(np.ptp(ref[face].imag)), 1.0)
    top = max(0.0, float(ref[face].imag.min()) - radius)
    xy = _complex(np.nan_to_num(points[..., :2]) * size)
    seen = [[j for j in face if visible[f, j]] for f in range(len(points))]
    fits = [_fit(ref[s], xy[f, s]) if s else None for f, s in enumerate(seen)]
    faced = [f for f, s in enumerate(seen) if len(s) >= 2] or [f for f, s in enumerate(seen) if s]
    first = min(faced, key=lambda f: (abs(f - start), f)) if faced else 0
    moves: list[tuple[complex, complex] | None] = []
    for f in range(len(points)):
        both = [j for j in seen[f] if j in seen[first]]
        if not both:
            moves.append(None)
            continue
        c = _fit(xy[first, both], xy[f, both])[0]
        shift = complex(xy[f, both].mean() - xy[first, both].mean())
        moves.append((c, centre + shift - c * centre))
    anchors = [f for f, m in enumerate(moves) if m is not None and visible[f, NECK]]
    for f, move in enumerate(moves):
        if move is None and visible[f, NECK] and anchors:
            g = min(anchors, key=lambda a: (abs(a - f), a > f))
            c, t = moves[g]  # type: ignore[misc]
            moves[f] = (c, t + xy[f, NECK] - xy[g, NECK])
    moves = [None if m is None else _clamped(*m, centre) for m in moves]
    raw = np.array([1.0 if m is None else _kept(*m, top, width, height) for m in moves])
    kept = ease(raw)
    out = np.full_like(points, np.nan)
    out[..., 2] = 0.0
    for f, move in enumerate(moves):
        if move is None:
            continue
        c, t = 1.0 + kept[f] * (move[0] - 1.0), kept[f] * move[1]
        conf = points[f, seen[f], 2].mean() if seen[f] else points[f, NECK, 2]
        out[f, face, :2] = _xy(c * ref[face] + t) / size
        out[f, face, 2] = conf
        if fits[f] is not None:  # the driver's face points, moved with the head: z -> c (z - t0) / c0 + t
            c0, t0 = fits[f]
            marks = visible[f, FACE:]
            out[f, FACE:][marks, :2] = _xy(c * (xy[f, FACE:][marks] - t0) / c0 + t) / size
            out[f, FACE:][marks, 2] = points[f, FACE:][marks, 2]
    return out, kept


def _xy(z: np.ndarray) -> np.ndarray:
    return np.stack([z.real, z.imag], -1)


def _complex(xy: np.ndarray) -> np.ndarray:
    return xy[..., 0] + 1j * xy[..., 1]


def _fit(src: np.ndarray, dst: np.ndarray) -> tuple[complex, complex]:
    """Least-squares similarity z -> c z + t from src to dst points (complex); one point: a shift."""
    ms, md = src.mean(), dst.mean()
    s, d = src - ms, dst - md
    var = float((np.abs(s) ** 2).sum())
    c = complex((np.conj(s) * d).sum() / var) if len(src) > 1 and var > 1e-9 else 1.0 + 0j
    c = c if abs(c) > 1e-9 else 1.0 + 0j
    return c, complex(md - c * ms)


def _clamped(c: complex, t: complex, centre: complex) -> tuple[complex, complex]:
    """The move with its roll and size limited, `centre` still mapped where it was."""
    roll = float(np.clip(np.angle(c), *np.deg2rad((-MAX_ROLL, MAX_ROLL))))
    c2 = float(np.clip(abs(c), *SCALE)) * np.exp(1j * roll)
    return complex(c2), complex(c * centre + t - c2 * centre)


def _grid(width: int, height: int, top: float) -> np.ndarray:
    """Sample points (complex, cell centres) of the photo's region from `top` to the bottom edge."""
    xs = (np.arange(_GRID) + 0.5) * width / _GRID
    ys = top + (np.arange(_GRID) + 0.5) * (height - top) / _GRID
    return (xs[None, :] + 1j * ys[:, None]).ravel()


def _kept(c: complex, t: complex, top: float, width: int, height: int) -> float:
    """The largest share k of the move z -> c z + t (every point going k of its way) that uncovers
    at most FILLED of the frame: the region's points over which no moved region point lands."""
    region = _grid(width, height, top)
    share = (height - top) / height  # of the frame

    def uncovered(k: float) -> float:
        ck, tk = 1.0 + k * (c - 1.0), k * t
        back = (region - tk) / ck  # where the moved region's pixel over each point came from
        inside = (back.real >= 0) & (back.real <= width) & (back.imag >= top) & (back.imag <= height)
        return float((~inside).mean()) * share

    if uncovered(1.0) <= FILLED:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(12):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if uncovered(mid) <= FILLED else (lo, mid)
    return lo
