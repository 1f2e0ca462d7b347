"""Exemplar-based background fill: the hole gets real texture copied from the photo, not a blur.

A diffusion fill (Telea, push-pull) of a person-sized hole is a smooth blob that reads as a
ghost of the person. Here, as in Criminisi et al.'s exemplar inpainting, the hole is filled
patch by patch from its rim inwards, each patch copied from the best matching fully known patch
nearby. Two terms choose the source: its blurred colours against a smooth guide fill at that
place (so the copied structure continues what surrounds the hole: the table edge, the flag's
stripes, rather than whatever matches best somewhere), and its pixels against what is already
filled (so neighbouring patches join up). The search runs on a small copy (cost grows with the
pixel count); at full resolution every hole pixel then copies the photo pixel at the same
(scaled) offset, so the texture stays sharp; the seams between copied blocks cross-fade.
Blocks copied from differently lit places still met in steps of brightness (squares on a shaded
door): a last seamless solve (`_seamless`) keeps the copies' pixel steps and removes those.
"""

from __future__ import annotations

import cv2
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

#: the search runs at this many pixels along the longer side
WORK_SIDE = 96
PATCH = 7
#: sources are searched within this share of the work image around the target patch
WINDOW = 0.35
#: how far (share of the image's longer side) a step between two copies melts into them
SCREEN = 0.03


def _offsets(small: np.ndarray, hole: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """Per hole pixel of the small image, the (dy, dx) of the photo pixel it copies."""
    h, w = hole.shape
    r = PATCH // 2
    img = small.astype(np.float32)
    blur = cv2.GaussianBlur(img, (0, 0), 1.5)
    pad = r
    guide_p = cv2.copyMakeBorder(guide.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    # a source patch must lie wholly on known pixels (and inside the image)
    source = (
        cv2.erode(
            (~hole).astype(np.uint8),
            np.ones((PATCH, PATCH), np.uint8),
            borderType=cv2.BORDER_CONSTANT,
            borderValue=0,
        )  # fmt: skip
        > 0
    )
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


def exemplar_fill(image: np.ndarray, hole: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """image: uint8 [H, W, 3]; hole: bool [H, W]; guide: a smooth fill of the same image (it
    says what colours belong where). The image with the hole filled by copied photo texture."""
    h, w = hole.shape
    if not hole.any():
        return image.copy()
    factor = min(1.0, WORK_SIDE / max(h, w))
    size = (max(PATCH + 1, round(w * factor)), max(PATCH + 1, round(h * factor)))
    fx, fy = w / size[0], h / size[1]
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0
    small_hole = (
        cv2.dilate(small_hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    )  # no hole pixel as source
    offsets = _offsets(small, small_hole, cv2.resize(guide, size, interpolation=cv2.INTER_AREA))
    near = np.clip(
        np.floor((np.argwhere(hole) + 0.5) / (fy, fx)).astype(np.int64), 0, (size[1] - 1, size[0] - 1)
    )
    # every hole pixel blends the copies that its four nearest work cells' offsets give (bilinear
    # weights): inside a copied patch the four agree and the copy is exact and sharp, between
    # patches copied from different places the seam becomes a short cross-fade, not a block edge
    ys, xs = np.nonzero(hole)
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
    guide_px = guide[ys, xs].astype(np.float32)
    blended = np.where(weight > 1e-6, acc / np.maximum(weight, 1e-6), guide_px)
    # the copies meet in steps of brightness (blocks copied from differently lit places: the
    # squares of a shaded door): the colours are solved again from the copies' own pixel steps
    cell_offset = offsets[near[:, 0], near[:, 1]] * (fy, fx)
    return _seamless(image, hole, ys, xs, np.round(cell_offset).astype(np.int64), blended, guide)


def _seamless(image, hole, ys, xs, offset, blended, guide) -> np.ndarray:
    """The hole's pixels solved (screened Poisson, as in Perez et al.'s seamless cloning) so that
    each step to a neighbour is the step its copy shows there (the nearest work cell's offset;
    of two copies that meet, the gentler step: one of them may cut an edge off, which would
    otherwise spread into a cloud; the smooth guide's where no copy shows it), the known rim
    fixed, and each pixel held loosely (over about SCREEN of the image) to the blended copies:
    the texture stays exact and sharp, the steps between copies melt, nothing drifts."""
    h, w = hole.shape
    n = len(ys)
    img, smooth = image.astype(np.float32), guide.astype(np.float32)
    index = np.full((h, w), -1, np.int64)
    index[ys, xs] = np.arange(n)
    offset_of = np.zeros((h, w, 2), np.int64)
    offset_of[ys, xs] = offset

    def step(py, px, dy: int, dx: int) -> np.ndarray:
        """[n, 3] photo steps (py, px) -> (py + dy, px + dx); NaN where either is not known."""
        qy, qx = py + dy, px + dx
        ok = (py >= 0) & (py < h) & (px >= 0) & (px < w) & (qy >= 0) & (qy < h) & (qx >= 0) & (qx < w)
        py, px, qy, qx = (
            np.clip(py, 0, h - 1),
            np.clip(px, 0, w - 1),
            np.clip(qy, 0, h - 1),
            np.clip(qx, 0, w - 1),
        )
        ok &= ~hole[py, px] & ~hole[qy, qx]
        return np.where(ok[:, None], img[py, px] - img[qy, qx], np.nan)

    rows, cols = [np.arange(n)], [np.arange(n)]
    diagonal = np.zeros(n)
    rhs = np.zeros((n, 3), np.float32)
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        ny, nx = np.clip(ny, 0, h - 1), np.clip(nx, 0, w - 1)
        mine = step(ys + offset[:, 0], xs + offset[:, 1], dy, dx)
        theirs = step(ys + offset_of[ny, nx, 0], xs + offset_of[ny, nx, 1], dy, dx)
        theirs[~hole[ny, nx]] = np.nan  # a known neighbour is no copy
        gentler = np.where(np.isnan(theirs) | (np.abs(mine) <= np.abs(theirs)), mine, theirs)
        gentler = np.where(np.isnan(gentler), theirs, gentler)
        target = np.where(np.isnan(gentler), smooth[ys, xs] - smooth[ny, nx], gentler)
        diagonal += inside
        rhs += np.where(inside[:, None], target, 0.0)
        fixed = inside & ~hole[ny, nx]
        rhs[fixed] += img[ny[fixed], nx[fixed]]
        free = inside & hole[ny, nx]
        rows.append(np.nonzero(free)[0])
        cols.append(index[ny[free], nx[free]])
    screen = 1.0 / max(2.0, SCREEN * max(h, w)) ** 2
    diagonal += screen
    rhs += screen * blended
    values = np.concatenate([diagonal, -np.ones(sum(len(r) for r in rows[1:]))]).astype(np.float32)
    matrix = scipy.sparse.csr_matrix((values, (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    # conjugate gradients from the blended copies: the screening bounds the condition number by
    # about 4 reach^2, so it converges in tens of cheap steps (a direct solve of a
    # person-sized hole takes seconds and hundreds of MB)
    solved = _conjugate_gradients(matrix, rhs, blended.astype(np.float32))
    out = image.copy()
    out[ys, xs] = np.clip(solved + 0.5, 0, 255).astype(np.uint8)
    return out


def _conjugate_gradients(matrix, rhs: np.ndarray, x: np.ndarray, tolerance: float = 0.05) -> np.ndarray:
    """Solve matrix @ X = rhs (symmetric positive definite, one column per colour channel) from X =
    x, all columns in one sparse product per step, until no residual exceeds `tolerance` levels
    per pixel on average."""
    residual = rhs - matrix @ x
    direction = residual.copy()
    power = (residual * residual).sum(0)
    for _ in range(1000):
        if np.sqrt(power.max() / len(x)) < tolerance:
            break
        pushed = matrix @ direction
        step = power / np.maximum((direction * pushed).sum(0), 1e-30)
        x = x + step * direction
        residual = residual - step * pushed
        new_power = (residual * residual).sum(0)
        direction = residual + (new_power / np.maximum(power, 1e-30)) * direction
        power = new_power
    return x
