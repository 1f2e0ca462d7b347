"""Exemplar-based background fill: the hole gets real texture copied from the photo, not a blur.

A diffusion fill (Telea, push-pull) of a person-sized hole is a smooth blob that reads as a
ghost of the person. Copying patches greedily from the rim inwards (Criminisi et al.: each patch
from the best matching known patch nearby, judged against a smooth guide fill there and against
what is already filled; `_offsets`) continues what surrounds the hole (the boards behind a
footballer, a table edge), but it only ever has to agree with the guide's smear and its own
neighbours: beside a portrait it laid the flag's colours out in horizontal streaks. So that fill
is only the start. The fill is then optimised as a whole, as in Wexler et al.'s space-time
completion with Barnes et al.'s PatchMatch: on a pyramid of the small copy, coarsest first (the
greedy fill gives its layout), every patch over the hole finds its nearest fully known patch of
the photo (propagation from neighbours and random search, vectorised), then every hole pixel
becomes the mean of what the patches over it copy there; repeated. A streak that exists nowhere
in the photo matches no patch and does not stay; stripes and edges continue, because a continued
stripe is what matches. The search runs on a copy WORK_SIDE long (cost grows with the pixel
count); at full resolution every hole pixel copies the photo pixel at the same (scaled) offset,
so the texture stays sharp and the seams between copies cross-fade. With the search at 96 pixels
a copied cell was 5 pixels wide at 512: the fill was a mosaic of 5-pixel blocks whose stripes and
edges stepped from block to block (Grace Hopper's flag, the wall behind the astronaut). The
greedy layout and the coarse levels stay at GREEDY_SIDE and below; the levels above it only
refine where each piece comes from. Copies from a differently lit place met the rim in a step
that outlined the person: the steps along the rim are spread into the hole and fade out over
RIM_REACH (`_rim_steps`).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: the search runs at this many pixels along the longer side
WORK_SIDE = 192
#: the greedy layout runs on the pyramid's first level at most this long
GREEDY_SIDE = 96
PATCH = 7
#: the greedy fill's sources are searched within this share of the work image around its patch
WINDOW = 0.35
#: the pyramid's coarsest level has about this many pixels along its longer side
COARSEST = 24
#: per level, rounds of (search, vote); per search, rounds of propagation and random search
EM_ROUNDS, SEARCH_ROUNDS = 4, 3
#: rounds of (search, vote) on the levels above GREEDY_SIDE
FINE_ROUNDS = 2
#: propagation takes a neighbour's offset from this far away (jumps spread good offsets fast)
JUMPS = (1, 2, 4, 8)
#: a step at the rim larger than this (0-255) is an edge the copy cut, not a change of light
RIM_STEP = 80.0
#: share of the image's longer side over which a step at the rim fades out into the hole
RIM_REACH = 0.06


def _patches(img: np.ndarray) -> np.ndarray:
    """[H, W, PATCH * PATCH * C] float32: the patch around every pixel (edges replicated)."""
    r = PATCH // 2
    pad = cv2.copyMakeBorder(img, r, r, r, r, cv2.BORDER_REPLICATE).reshape(
        img.shape[0] + 2 * r, img.shape[1] + 2 * r, -1
    )
    win = sliding_window_view(pad, (PATCH, PATCH), axis=(0, 1))  # H, W, C, P, P
    return np.ascontiguousarray(win.transpose(0, 1, 3, 4, 2)).reshape(img.shape[0], img.shape[1], -1)


def _sources(hole: np.ndarray, avoid: np.ndarray | None = None) -> np.ndarray:
    """Centres of the patches that lie wholly on known pixels inside the image (and off `avoid`)."""
    known = (~hole if avoid is None else ~(hole | avoid)).astype(np.uint8)
    square = np.ones((PATCH, PATCH), np.uint8)
    return cv2.erode(known, square, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


class _Search:
    """One pyramid level: for every patch over the hole, the offset to its nearest fully known patch."""

    def __init__(
        self, img: np.ndarray, hole: np.ndarray, avoid: np.ndarray, offsets: np.ndarray, rng
    ) -> None:
        self.img, self.hole, self.rng = img, hole, rng
        self.h, self.w = hole.shape
        self.source = _sources(hole, avoid)
        #: per patch over the hole, the squared distance of its copy as the last search found it
        self.cost: np.ndarray | None = None
        self.library = _patches(img)
        around = cv2.dilate(hole.astype(np.uint8), np.ones((PATCH, PATCH), np.uint8)) > 0
        self.ty, self.tx = np.nonzero(around)
        self.slot = np.full(hole.shape, -1, np.int64)
        self.slot[self.ty, self.tx] = np.arange(len(self.ty))
        self.offsets = offsets[self.ty, self.tx].copy()
        bad = ~self._valid(self.offsets)  # a source the coarser level had is not always whole here
        sy, sx = np.nonzero(self.source)
        pick = rng.integers(0, len(sy), int(bad.sum()))
        self.offsets[bad] = np.stack([sy[pick] - self.ty[bad], sx[pick] - self.tx[bad]], 1)

    def _valid(self, offsets: np.ndarray) -> np.ndarray:
        qy, qx = self.ty + offsets[:, 0], self.tx + offsets[:, 1]
        inside = (qy >= 0) & (qy < self.h) & (qx >= 0) & (qx < self.w)
        return inside & self.source[np.clip(qy, 0, self.h - 1), np.clip(qx, 0, self.w - 1)]

    def _try(self, candidates: np.ndarray, wanted: np.ndarray, cost: np.ndarray) -> None:
        idx = np.nonzero(self._valid(candidates))[0]
        if not len(idx):
            return
        found = self.library[self.ty[idx] + candidates[idx, 0], self.tx[idx] + candidates[idx, 1]]
        new = ((wanted[idx] - found) ** 2).sum(1)
        better = new < cost[idx]
        self.offsets[idx[better]] = candidates[idx[better]]
        cost[idx[better]] = new[better]

    def search(self, estimate: np.ndarray, fine: bool = False) -> None:
        """PatchMatch: each patch over the hole (as `estimate` fills it) keeps the best of its own
        source, its neighbours' (shifted along) and random ones in shrinking windows. `fine`: one
        round, random tries only near the offset the coarser level found."""
        wanted = _patches(estimate)[self.ty, self.tx]
        cost = np.full(len(self.ty), np.inf, np.float32)
        self.cost = cost  # filled in place by _try
        self._try(self.offsets, wanted, cost)
        for _ in range(1 if fine else SEARCH_ROUNDS):
            for jump in JUMPS:
                for dy, dx in ((0, jump), (0, -jump), (jump, 0), (-jump, 0)):
                    ny, nx = np.clip(self.ty + dy, 0, self.h - 1), np.clip(self.tx + dx, 0, self.w - 1)
                    neighbour = self.slot[ny, nx]
                    candidates = self.offsets.copy()
                    candidates[neighbour >= 0] = self.offsets[neighbour[neighbour >= 0]]
                    self._try(candidates, wanted, cost)
            radius = 2 * PATCH if fine else max(self.h, self.w)
            while radius >= 1:
                jitter = self.rng.integers(-radius, radius + 1, self.offsets.shape)
                self._try(self.offsets + jitter, wanted, cost)
                radius //= 2

    def vote(self, estimate: np.ndarray) -> np.ndarray:
        """Every hole pixel: the mean of what the patches over it copy there, each weighted by how
        well its copy matched (Wexler et al.: exp(-d / 2 s), s the 75th percentile of the distances
        d). Unweighted, a poor match counted as much as a good one, and the plain grass below the
        footballer, which matches anything blurred, crept up into the boards."""
        hy, hx = np.nonzero(self.hole)
        total = np.zeros((len(hy), self.img.shape[2]), np.float32)
        count = np.zeros((len(hy), 1), np.float32)
        weight = np.ones(len(self.ty), np.float32)
        if self.cost is not None and np.isfinite(self.cost).any():
            scale = max(float(np.percentile(self.cost[np.isfinite(self.cost)], 75)), 1e-3)
            weight = np.exp(-np.minimum(self.cost, 10 * scale) / (2 * scale)).astype(np.float32)
        r = PATCH // 2
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                py, px = hy - dy, hx - dx
                inside = (py >= 0) & (py < self.h) & (px >= 0) & (px < self.w)
                slot = self.slot[np.clip(py, 0, self.h - 1), np.clip(px, 0, self.w - 1)]
                offset, w = self.offsets[slot], weight[slot][inside, None]
                total[inside] += w * self.img[(hy + offset[:, 0])[inside], (hx + offset[:, 1])[inside]]
                count[inside] += w
        out = estimate.copy()
        out[hy, hx] = total / np.maximum(count, 1e-12)
        return out

    def field(self) -> np.ndarray:
        out = np.zeros((self.h, self.w, 2), np.int64)
        out[self.ty, self.tx] = self.offsets
        return out


def _offsets(small: np.ndarray, hole: np.ndarray, guide: np.ndarray, avoid: np.ndarray) -> np.ndarray:
    """Per hole pixel of the small image, the (dy, dx) of the photo pixel it copies."""
    h, w = hole.shape
    r = PATCH // 2
    img = small.astype(np.float32)
    blur = cv2.GaussianBlur(img, (0, 0), 1.5)
    pad = r
    guide_p = cv2.copyMakeBorder(guide.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    source = _sources(hole, avoid)  # a source patch lies wholly on known pixels (and inside the image)
    if not source.any():
        return np.zeros((h, w, 2), np.int32)
    offsets = np.zeros((h, w, 2), np.int32)
    filled = ~hole
    work = img.copy()
    window = max(2 * PATCH, int(WINDOW * max(h, w)))
    box = np.ones((3, 3), np.uint8)
    while not filled.all():
        count = cv2.boxFilter(
            filled.astype(np.float32), -1, (PATCH, PATCH), normalize=False, borderType=cv2.BORDER_CONSTANT
        )
        front = ~filled & (cv2.dilate(filled.astype(np.uint8), box) > 0)
        if not front.any():  # a hole with no known pixel around it at all
            front = ~filled
        y, x = np.unravel_index(int(np.argmax(np.where(front, count, -1.0))), front.shape)
        y0, y1 = max(0, y - window), min(h - PATCH + 1, y + window)
        x0, x1 = max(0, x - window), min(w - PATCH + 1, x + window)
        score = np.full((max(0, y1 - y0), max(0, x1 - x0)), np.inf, np.float32)
        if score.size:
            region = slice(y0, y1 + PATCH - 1), slice(x0, x1 + PATCH - 1)
            score = cv2.matchTemplate(blur[region], guide_p[y : y + PATCH, x : x + PATCH], cv2.TM_SQDIFF)
            work_p = cv2.copyMakeBorder(work, pad, pad, pad, pad, cv2.BORDER_REFLECT)
            known_p = cv2.copyMakeBorder(filled.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_CONSTANT)
            mask = np.repeat(known_p[y : y + PATCH, x : x + PATCH, None], 3, axis=2)
            if mask.any():
                score = score + cv2.matchTemplate(
                    img[region], work_p[y : y + PATCH, x : x + PATCH], cv2.TM_SQDIFF, mask=mask
                )
            score = np.where(source[y0 + r : y1 + r, x0 + r : x1 + r], score, np.inf)
        if np.isfinite(score).any():
            py, px = np.unravel_index(int(np.argmin(score)), score.shape)
            sy, sx = y0 + py + r, x0 + px + r
        else:  # nothing known near: the nearest source patch anywhere
            ys, xs = np.nonzero(source)
            k = int(np.argmin((ys - y) ** 2 + (xs - x) ** 2))
            sy, sx = int(ys[k]), int(xs[k])
        dy, dx = sy - y, sx - x
        ty0, ty1, tx0, tx1 = max(0, y - r), min(h, y + r + 1), max(0, x - r), min(w, x + r + 1)
        todo = ~filled[ty0:ty1, tx0:tx1]
        work[ty0:ty1, tx0:tx1][todo] = img[ty0 + dy : ty1 + dy, tx0 + dx : tx1 + dx][todo]
        offsets[ty0:ty1, tx0:tx1][todo] = (dy, dx)
        filled[ty0:ty1, tx0:tx1] |= todo
    return offsets


def _cells(hole: np.ndarray, size: tuple[int, int], grow: bool = True) -> np.ndarray:
    """The hole on a copy of `size` (w, h): every cell any hole pixel touches, and with `grow` one
    cell more, so that no known cell mixes in the person's colours (cells straddle pixels at
    uneven scales)."""
    cells = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0
    return cv2.dilate(cells.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0 if grow else cells


def _pyramid(img: np.ndarray, hole: np.ndarray, avoid: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Finest first, halving down to COARSEST while some known patches remain to copy from. hole:
    at full resolution; each level's is cut from it. Down to GREEDY_SIDE it is grown by a cell (cut
    from the level above instead, it was thinner there and the layout changed: grass rose into the
    board behind the footballer); below, it is not: a cell there spans several pixels and takes at
    most a pixel's share of its neighbour's, and grown, Grace Hopper's hole left too few whole
    patches for any coarser level, so her flag kept the greedy layout's mosaic."""
    size = img.shape[1::-1]
    levels = [(img, _cells(hole, size))]
    while max(levels[-1][1].shape) > 1.5 * COARSEST:
        im = levels[-1][0]
        size = (max(PATCH + 1, im.shape[1] // 2), max(PATCH + 1, im.shape[0] // 2))
        smaller = _cells(hole, size, grow=max(size) >= GREEDY_SIDE)
        if _sources(smaller, _cells(avoid, size, grow=False)).sum() < 4 * PATCH * PATCH:
            break
        levels.append((cv2.resize(im, size, interpolation=cv2.INTER_AREA).reshape(*size[::-1], -1), smaller))
    return levels


def _complete(small: np.ndarray, hole: np.ndarray, guide: np.ndarray, avoid: np.ndarray) -> np.ndarray:
    """Per pixel over the hole (full resolution) as the small image has it, the (dy, dx) of the
    centre of the known patch it copies ([h, w, 2], the small image's size). avoid: full resolution,
    known pixels no patch is copied from."""
    rng = np.random.default_rng(0)  # the same photo gets the same fill
    levels = _pyramid(small.astype(np.float32), hole, avoid)

    def avoided(level_hole: np.ndarray) -> np.ndarray:
        return _cells(avoid, level_hole.shape[::-1], grow=False)

    # the greedy layout on the first level no longer than GREEDY_SIDE (its cost grows fast with size)
    start_level = next(
        (i for i, (_, ho) in enumerate(levels) if max(ho.shape) <= GREEDY_SIDE), len(levels) - 1
    )
    start_img, start_hole = levels[start_level]
    start_guide = cv2.resize(guide, start_hole.shape[::-1], interpolation=cv2.INTER_AREA)
    start = _offsets(start_img, start_hole, start_guide.reshape(start_img.shape), avoided(start_hole))
    ys, xs = np.nonzero(start_hole)
    layout = start_img.copy()
    layout[ys, xs] = layout[ys + start[ys, xs, 0], xs + start[ys, xs, 1]]
    img, ho = levels[-1]
    estimate = img.copy()
    estimate[ho] = cv2.resize(layout, ho.shape[::-1], interpolation=cv2.INTER_AREA).reshape(img.shape)[ho]
    offsets = np.zeros((*ho.shape, 2), np.int64)
    for level in range(len(levels) - 1, -1, -1):
        img, ho = levels[level]
        search = _Search(img, ho, avoided(ho), offsets, rng)
        if level < len(levels) - 1:  # the coarser level's copies taken here: sharp, not its vote upsampled
            estimate = search.vote(estimate)
        # above the greedy layout's level the layout is settled: the rounds there only sharpen the copies
        fine = level < start_level
        for _ in range(FINE_ROUNDS if fine else EM_ROUNDS):
            search.search(estimate, fine)
            estimate = search.vote(estimate)
        offsets = search.field()
        if level:
            finer, finer_hole = levels[level - 1]
            h, w = finer_hole.shape
            ys = np.minimum(np.arange(h) * ho.shape[0] // h, ho.shape[0] - 1)
            xs = np.minimum(np.arange(w) * ho.shape[1] // w, ho.shape[1] - 1)
            offsets = np.round(offsets[ys][:, xs] * (h / ho.shape[0], w / ho.shape[1])).astype(np.int64)
            upsampled = cv2.resize(estimate, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
            estimate = finer.copy()
            estimate[finer_hole] = upsampled[finer_hole]
    return offsets


def exemplar_fill(
    image: np.ndarray, hole: np.ndarray, guide: np.ndarray, avoid: np.ndarray | None = None
) -> np.ndarray:
    """image: uint8 [H, W, 3]; hole: bool [H, W]; guide: a smooth fill of the same image (it
    says what colours belong where); avoid: bool [H, W], known pixels not to copy from (an object
    left standing beside the hole: copied into it, it stood there twice). The image with the hole
    filled by copied photo texture."""
    h, w = hole.shape
    if not hole.any():
        return image.copy()
    factor = min(1.0, WORK_SIDE / max(h, w))
    size = (max(PATCH + 1, round(w * factor)), max(PATCH + 1, round(h * factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    cells = _cells(hole, size)
    if avoid is None or not _sources(cells, _cells(avoid, size, grow=False)).any():
        avoid = np.zeros_like(hole)  # nothing else to copy: the object may be copied after all
    if not _sources(cells).any():  # nothing whole to copy (a torso's cloth in shreds): the guide
        out = image.copy()
        out[hole] = guide[hole]
        return out
    offsets = _complete(small, hole, cv2.resize(guide, size, interpolation=cv2.INTER_AREA), avoid)
    ys, xs = np.nonzero(hole)
    copied, weight = _copies(image, hole, offsets, ys, xs)
    out = image.astype(np.float32)
    out[ys, xs] = np.where(weight > 1e-6, copied, guide[ys, xs].astype(np.float32))
    out[ys, xs] += _rim_steps(image, hole, offsets)[ys, xs]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _copies(image, hole, offsets, ys, xs) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel (ys, xs): the blend of the copies its four nearest work cells' offsets give
    (bilinear weights), [n, 3] float32, and the weight of the usable ones, [n, 1]. Inside a copied
    patch the four agree and the copy is exact and sharp; between patches copied from different
    places the seam becomes a short cross-fade, not a block edge."""
    h, w = hole.shape
    size = offsets.shape[1::-1]
    fx, fy = w / size[0], h / size[1]
    gy = np.clip((ys + 0.5) / fy - 0.5, 0, size[1] - 1)
    gx = np.clip((xs + 0.5) / fx - 0.5, 0, size[0] - 1)
    y0, x0 = np.floor(gy).astype(np.int64), np.floor(gx).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, size[1] - 1), np.minimum(x0 + 1, size[0] - 1)
    wy, wx = (gy - y0)[:, None], (gx - x0)[:, None]
    acc = np.zeros((len(ys), 3), np.float32)
    weight = np.zeros((len(ys), 1), np.float32)
    for cy, cx, cw in (
        (y0, x0, (1 - wy) * (1 - wx)),
        (y0, x1, (1 - wy) * wx),
        (y1, x0, wy * (1 - wx)),
        (y1, x1, wy * wx),
    ):
        sy = np.round(ys + offsets[cy, cx, 0] * fy).astype(np.int64)
        sx = np.round(xs + offsets[cy, cx, 1] * fx).astype(np.int64)
        usable = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
        sy, sx = np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)
        usable &= ~hole[sy, sx]  # a copy from inside the hole (rounding at its rim) is no copy
        cw = cw * usable[:, None]
        acc += cw * image[sy, sx].astype(np.float32)
        weight += cw
    return acc / np.maximum(weight, 1e-6), weight


def _rim_steps(image, hole, offsets) -> np.ndarray:
    """[H, W, 3] float32: what to add inside the hole so that the copies meet the rim without a
    step. Along the rim (the known pixels within 2 of the hole) the step is the photo minus what
    the copies would put there; it is spread into the hole (push-pull) and fades out over
    RIM_REACH. Steps larger than RIM_STEP are an edge the copy cut, not a change of light, and are
    left alone (spread, they tinted a backdrop with the flag's red)."""
    from dhcore.animate.warp.fill import pyramid_fill  # here: fill.py imports this module

    h, w = hole.shape
    ry, rx = np.nonzero((cv2.dilate(hole.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0) & ~hole)
    copied, weight = _copies(image, hole, offsets, ry, rx)
    step = image[ry, rx].astype(np.float32) - copied
    seen = (weight[:, 0] > 0.5) & (np.abs(step).max(1) < RIM_STEP)
    steps = np.zeros((h, w, 3), np.float32)
    known = np.zeros((h, w), np.float32)
    steps[ry[seen], rx[seen]] = step[seen]
    known[ry[seen], rx[seen]] = 1.0
    if not seen.any():
        return steps
    fade = np.exp(-cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5) / (RIM_REACH * max(h, w)))
    return pyramid_fill(steps, known) * fade[..., None]
