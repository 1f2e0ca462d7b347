"""Stage shoot.contact_sheet: grid layout per look, frames by status, dimmed failures, captions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.shoot import contact_sheet as cs
from tests.dhcore.shoot.shoot_helpers import read_rgb, write_rgb


@pytest.fixture
def entries(tmp_path: Path) -> list[cs.SheetEntry]:
    grey = write_rgb(tmp_path / "grey.png", np.full((160, 128, 3), 180, np.uint8))
    return [
        cs.SheetEntry(grey, "studio", None, "template", 0.81, 0.84, 0.6),
        cs.SheetEntry(grey, "studio", 1, "failed", 0.72, 0.88, 0.6),
        cs.SheetEntry(grey, "studio", 0, "delivered", 0.31, 0.97, 0.6),
        cs.SheetEntry(grey, "garden", 0, "passed", 0.55, 0.93, 0.6),
        cs.SheetEntry(grey, "garden", 1, "failed", None, None, 0.6),
    ]


def test_captions_say_score_and_verdict(entries) -> None:
    assert cs.caption(entries[0]) == ("studio template", "d0.810 s0.84 FAIL")
    assert cs.caption(entries[2]) == ("studio #0", "d0.310 s0.97 PASS")
    assert cs.caption(entries[4]) == ("garden #1", "no face  FAIL")


def test_layout_one_row_per_look_template_first(entries, tmp_path: Path) -> None:
    params = cs.Params(thumb_width=128)
    captions = [cs.Caption(**{k: v for k, v in vars(e).items() if k != "path"}) for e in entries]
    result = cs.STAGE.call(
        tmp_path, params.model_copy(update={"entries": captions}), image=[e.path for e in entries]
    )
    sheet = read_rgb(result.outputs["contact_sheet"].path)
    meta = result.outputs["contact_sheet"].meta
    assert sheet.shape[:2] == (meta["height"], meta["width"])
    assert (meta["cells"], meta["delivered"], meta["failed"], meta["template"]) == (5, 1, 2, 1)
    assert result.metrics == {"contact_sheet_cells": 5.0, "contact_sheet_delivered": 1.0}
    rows = cs._rows(entries, 3)
    assert [[(e.look, e.index) for e in row] for row in rows] == [
        [("studio", None), ("studio", 0), ("studio", 1)],
        [("garden", 0), ("garden", 1)],
    ]
    # 3 columns (the longest look), 2 rows; thumbs keep the candidates' 4:5 aspect (128 x 160)
    gap, border = 5, 3
    cell_w, cell_h = 128 + 2 * border, 160 + 2 * border + 28
    assert sheet.shape[1] == gap + 3 * (cell_w + gap)
    assert sheet.shape[0] == gap + 2 * (cell_h + gap)
    # frame colours by status, and failed thumbs are dimmed towards mid grey
    top = gap + 1
    colour = {k: sheet[top, gap + k * (cell_w + gap) + 1] for k in range(3)}
    assert tuple(colour[0]) == cs.COLOURS["template"] and tuple(colour[1]) == cs.COLOURS["delivered"]
    assert tuple(colour[2]) == cs.COLOURS["failed"]
    centre_y = gap + border + 80
    delivered_px = sheet[centre_y, gap + (cell_w + gap) + border + 64]
    failed_px = sheet[centre_y, gap + 2 * (cell_w + gap) + border + 64]
    assert tuple(delivered_px) == (180, 180, 180)
    assert abs(int(failed_px[0]) - (180 * 0.45 + 128 * 0.55)) <= 1  # 45 % image + 55 % grey 128
    # captions are drawn (dark text pixels) under each thumb, red for FAIL
    caption = sheet[gap + 160 + 2 * border : gap + cell_h, gap : gap + cell_w]
    assert (caption.min(axis=2) < 100).any()
    red = (caption[..., 0] > 150) & (caption[..., 1] < 110)
    assert red.any()


def test_title_and_explicit_columns(entries, tmp_path: Path) -> None:
    plain = cs.render(entries, cs.Params(thumb_width=128, columns=2))
    titled = cs.render(entries, cs.Params(thumb_width=128, columns=2, title="Grace Hopper"))
    assert titled.shape[0] > plain.shape[0] and titled.shape[1] == plain.shape[1]
    assert plain.shape[0] > cs.render(entries, cs.Params(thumb_width=128)).shape[0]  # 3 rows instead of 2


def test_no_entries_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least one image"):
        cs.STAGE.call(tmp_path, image=[])
