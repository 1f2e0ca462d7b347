"""The face kinds' demo inputs: real portraits from installed packages (never committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.demo.assets import astronaut, grace_hopper, png_writer, write_once


def portrait() -> np.ndarray:
    """Grace Hopper (matplotlib's sample photo), head and shoulders, cropped to 512x512: a closed mouth."""
    return np.ascontiguousarray(grace_hopper()[40:552])


def write_face_assets(folder: Path) -> dict[str, Path]:
    """portrait.png (Grace Hopper, 512x512) and astronaut.png (scikit-image's astronaut)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "portrait": write_once(folder / "portrait.png", png_writer(portrait())),
        "astronaut": write_once(folder / "astronaut.png", png_writer(astronaut())),
    }
