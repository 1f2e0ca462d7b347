"""Stage shoot.contact_sheet: every candidate on one page, with its identity score under it.

One row per look (wrapping after `columns` cells), in look order; a look's template original,
when given, opens its row, so the page shows that the template's own person fails the check.
Delivered images get a green frame, candidates that passed but were not delivered an amber
one; failed candidates are dimmed with the score in red; template originals have a blue frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.face.faces import read_image
from dhcore.media.geometry import cover_fit
from dhcore.stage import (
    InputValue,
    Output,
    Progress,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    no_progress,
    port,
)

NAME = "shoot.contact_sheet"
VERSION = "1"

Status = Literal["delivered", "passed", "failed", "template"]
#: RGB frame colours per status
COLOURS: dict[str, tuple[int, int, int]] = {
    "delivered": (40, 170, 70),
    "passed": (230, 160, 30),
    "failed": (200, 50, 50),
    "template": (60, 110, 210),
}
BACKGROUND = (245, 245, 245)
TEXT = (30, 30, 30)
FONT = cv2.FONT_HERSHEY_SIMPLEX


class Caption(StageParams):
    """What a cell says about its image (the image itself is the stage's input at the same index)."""

    look: str
    index: int | None  # candidate index; None for a template original
    status: Status
    distance: float | None
    similarity: float | None = None
    threshold: float | None = None


class Params(StageParams):
    thumb_width: int = Field(192, ge=64, le=1024)
    thumb_height: int | None = Field(
        None, ge=64, le=1024, description="default: the first candidate's aspect"
    )
    columns: int | None = Field(
        None, ge=1, le=32, description="cells per row; default: the longest look, <= 8"
    )
    dim: float = Field(0.55, ge=0, le=1, description="how much failed candidates fade to grey")
    title: str | None = Field(None, max_length=200)
    entries: list[Caption] = Field(default_factory=list, description="one caption per input image, in order")


@dataclass(frozen=True)
class SheetEntry:
    path: Path
    look: str
    index: int | None  # candidate index; None for a template original
    status: Status
    distance: float | None
    similarity: float | None = None
    threshold: float | None = None


def caption(entry: SheetEntry) -> tuple[str, str]:
    """The two lines under a cell: look and candidate; the score and the verdict."""
    first = f"{entry.look} template" if entry.status == "template" else f"{entry.look} #{entry.index}"
    if entry.distance is None:
        return first, "no face  FAIL"
    verdict = "PASS" if entry.threshold is None or entry.distance <= entry.threshold else "FAIL"
    sim = f" s{entry.similarity:.2f}" if entry.similarity is not None else ""
    return first, f"d{entry.distance:.3f}{sim} {verdict}"


def _rows(entries: Sequence[SheetEntry], columns: int) -> list[list[SheetEntry]]:
    looks = list(dict.fromkeys(e.look for e in entries))
    rows = []
    for look in looks:
        mine = [e for e in entries if e.look == look]
        mine.sort(key=lambda e: (e.status != "template", e.index if e.index is not None else -1))
        rows += [mine[i : i + columns] for i in range(0, len(mine), columns)]
    return rows


def _thumb(path: Path, width: int, height: int) -> np.ndarray:
    image = read_image(Path(path))
    return cover_fit(image.shape[1], image.shape[0], width, height).apply(image)


def _cell(entry: SheetEntry, thumb: np.ndarray, params: Params, text_h: int) -> np.ndarray:
    h, w = thumb.shape[:2]
    border = max(3, w // 48)
    cell = np.full((h + 2 * border + text_h, w + 2 * border, 3), BACKGROUND, np.uint8)
    if entry.status == "failed":
        thumb = (thumb.astype(np.float32) * (1 - params.dim) + 128.0 * params.dim).astype(np.uint8)
    cell[: h + 2 * border] = COLOURS[entry.status]
    cell[border : border + h, border : border + w] = thumb
    scale = w / 400.0
    for k, line in enumerate(caption(entry)):
        colour = COLOURS["failed"] if k == 1 and line.endswith("FAIL") else TEXT
        y = h + 2 * border + int(text_h * (0.42 + 0.45 * k))
        cv2.putText(cell, line, (border, y), FONT, scale, colour, 1, cv2.LINE_AA)
    return cell


def render(entries: Sequence[SheetEntry], params: Params, progress: Progress = no_progress) -> np.ndarray:
    """The contact sheet as an RGB image."""
    if not entries:
        raise InputError("the contact sheet needs at least one image")
    longest = max(sum(1 for e in entries if e.look == look) for look in {e.look for e in entries})
    columns = params.columns or min(8, longest)
    width = params.thumb_width
    if params.thumb_height is not None:
        height = params.thumb_height
    else:
        first = read_image(Path(next((e for e in entries if e.status != "template"), entries[0]).path))
        height = int(round(width * first.shape[0] / first.shape[1]))
    text_h = max(28, int(width * 0.2))
    rows = _rows(entries, columns)
    gap = max(4, width // 24)
    title_h = int(text_h * 0.9) if params.title else 0
    cell_w = width + 2 * max(3, width // 48)
    cell_h = height + 2 * max(3, width // 48) + text_h
    sheet = np.full(
        (title_h + gap + len(rows) * (cell_h + gap), gap + columns * (cell_w + gap), 3), BACKGROUND, np.uint8
    )
    if params.title:
        cv2.putText(sheet, params.title, (gap, int(title_h * 0.8)), FONT, width / 320.0, TEXT, 1, cv2.LINE_AA)
    done = 0
    for r, row in enumerate(rows):
        for c, entry in enumerate(row):
            cell = _cell(entry, _thumb(entry.path, width, height), params, text_h)
            y, x = title_h + gap + r * (cell_h + gap), gap + c * (cell_w + gap)
            sheet[y : y + cell_h, x : x + cell_w] = cell
            done += 1
            progress(done, len(entries))
    return sheet


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("image", "image", many=True),),
    outputs=(port("contact_sheet", "image"),),
    impl="dhcore.shoot.contact_sheet:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Write the contact sheet of the images, captioned by `params.entries` (one per image), as a PNG."""
    images = [Path(p) for p in inputs["image"]]
    if len(images) != len(params.entries):
        raise InputError(f"the contact sheet has {len(images)} images but {len(params.entries)} captions")
    entries = [SheetEntry(path, **e.model_dump()) for path, e in zip(images, params.entries, strict=True)]
    sheet = render(entries, params, ctx.progress)
    out_path = Path(out_dir) / "contact_sheet.png"
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - encoding a valid uint8 image does not fail
        raise InputError(f"{out_path}: cannot encode the contact sheet")
    out_path.write_bytes(data.tobytes())
    counts = {s: sum(1 for e in entries if e.status == s) for s in COLOURS}
    meta = {"width": int(sheet.shape[1]), "height": int(sheet.shape[0]), "cells": len(entries), **counts}
    return StageResult(
        outputs={"contact_sheet": Output(path=out_path, kind="image", meta=meta)},
        metrics={
            "contact_sheet_cells": float(len(entries)),
            "contact_sheet_delivered": float(counts["delivered"]),
        },
    )
