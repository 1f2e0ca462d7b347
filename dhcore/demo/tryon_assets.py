"""The try-on demo's garments, laid flat on a plain background and drawn by code: a striped T-shirt
and checked trousers."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from dhcore.demo.assets import astronaut, png_writer, write_once

#: the T-shirt's outline on a 512x512 canvas: neck, shoulders, sleeves, sides, hem (clockwise)
TSHIRT = [
    (200, 70), (225, 92), (256, 100), (287, 92), (312, 70),  # neckline
    (380, 92), (440, 160), (398, 196), (372, 172),  # left sleeve (image right)
    (368, 440), (144, 440),  # hem
    (140, 172), (114, 196), (72, 160), (132, 92),  # right sleeve (image left)
]  # fmt: skip


def tshirt(
    size: int = 512, colours: tuple[tuple[int, int, int], ...] = ((200, 40, 50), (245, 210, 60))
) -> np.ndarray:
    """RGB uint8: a T-shirt with horizontal stripes and a round print, on a light grey ground."""
    canvas = np.full((size, size, 3), 236, np.uint8)
    scale = size / 512
    outline = (np.array(TSHIRT, np.float64) * scale).round().astype(np.int32)
    cloth = np.zeros((size, size, 3), np.uint8)
    stripe = max(2, round(28 * scale))
    for y in range(0, size, stripe):
        cloth[y : y + stripe] = colours[(y // stripe) % 2]
    cv2.circle(cloth, (size // 2, round(230 * scale)), round(40 * scale), (30, 60, 160), -1)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [outline], 1)
    canvas[mask > 0] = cloth[mask > 0]
    cv2.polylines(canvas, [outline], True, (90, 30, 35), max(1, round(2 * scale)), cv2.LINE_AA)
    return canvas


#: trousers laid flat on a 512x512 canvas: waistband, right leg (image left), crotch, left leg (clockwise)
TROUSERS = [
    (176, 40), (336, 40),  # waistband
    (360, 140), (382, 470), (300, 470), (262, 190),  # left leg (image right) and its hem
    (250, 190), (212, 470), (130, 470), (152, 140),  # crotch, right leg (image left) and its hem
]  # fmt: skip


def trousers(size: int = 512, colour: tuple[int, int, int] = (60, 110, 70)) -> np.ndarray:
    """RGB uint8: green trousers with a darker waistband and a light check, on a light grey ground."""
    canvas = np.full((size, size, 3), 236, np.uint8)
    scale = size / 512
    outline = (np.array(TROUSERS, np.float64) * scale).round().astype(np.int32)
    cloth = np.zeros((size, size, 3), np.uint8)
    cloth[...] = colour
    step = max(4, round(32 * scale))
    lighter = tuple(min(255, c + 45) for c in colour)
    for v in range(0, size, step):
        cloth[:, v : v + max(1, step // 6)] = lighter
        cloth[v : v + max(1, step // 6)] = lighter
    cloth[: round(62 * scale)] = tuple(c // 2 for c in colour)  # the waistband
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [outline], 1)
    canvas[mask > 0] = cloth[mask > 0]
    return canvas


def write_tryon_assets(folder: Path) -> dict[str, Path]:
    """person.png (scikit-image's astronaut), tshirt.png and trousers.png (the flat lays)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "person": write_once(folder / "person.png", png_writer(astronaut())),
        "garment": write_once(folder / "tshirt.png", png_writer(tshirt())),
        "trousers": write_once(folder / "trousers.png", png_writer(trousers())),
    }
