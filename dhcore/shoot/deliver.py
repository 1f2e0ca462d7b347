"""Stage shoot.deliver: one delivered image in the shoot's size and file format.

Images are cover-fitted when their size differs (the backends already write width x height,
so normally only the format changes). PNG is lossless; JPEG is written at `jpeg_quality` with
4:4:4 chroma so skin tones keep their detail. Both encoders are deterministic, so the same
image gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from dhcore.errors import DhError
from dhcore.face.faces import read_image
from dhcore.media.geometry import cover_fit
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "shoot.deliver"
VERSION = "1"
Format = Literal["png", "jpg"]


class Params(StageParams):
    width: int = Field(512, ge=16, le=4096)
    height: int = Field(512, ge=16, le=4096)
    format: Format = "png"
    jpeg_quality: int = Field(95, ge=50, le=100)
    file_name: str | None = Field(None, description="the delivered file's name (default: image.<format>)")


def file_name(look: str, index: int, fmt: Format) -> str:
    """The delivered file's name: look and candidate number, e.g. astronaut_01.png."""
    return f"{look}_{index:02d}.{fmt}"


def write_image(image: np.ndarray, out_path: Path, fmt: Format = "png", jpeg_quality: int = 95) -> Path:
    """Write an RGB uint8 image as PNG or JPEG (parent folders created)."""
    if fmt == "jpg":
        ext, flags = ".jpg", [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                              cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]  # fmt: skip
    else:
        ext, flags = ".png", [cv2.IMWRITE_PNG_COMPRESSION, 6]
    ok, data = cv2.imencode(ext, cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR), flags)
    if not ok:  # pragma: no cover - encoding a valid uint8 image does not fail
        raise DhError(f"{out_path}: cannot encode as {fmt}")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(data.tobytes())
    return out_path


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("image", "image"),),
    outputs=(port("image", "image"),),
    impl="dhcore.shoot.deliver:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """The image at params.width x params.height in params.format."""
    image, progress = Path(inputs["image"]), ctx.progress
    out_path = Path(out_dir) / (params.file_name or f"image.{params.format}")
    rgb = read_image(Path(image))
    resized = rgb.shape[:2] != (params.height, params.width)
    if resized:
        rgb = cover_fit(rgb.shape[1], rgb.shape[0], params.width, params.height).apply(rgb)
    path = write_image(rgb, Path(out_path), params.format, params.jpeg_quality)
    progress(1, 1)
    meta = {"width": params.width, "height": params.height, "format": params.format, "resized": resized}
    return StageResult(outputs={"image": Output(path=path, kind="image", meta=meta)})
