"""The face-edit flow end to end from the example spec's demo inputs: still, keyframed video, figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import cv2
import pytest

from dh.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "examples" / "face_edit.yaml"


def test_example_face_edit_succeeds_with_its_figures(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.demo.face_assets import write_face_assets

    write_face_assets(tmp_path / "assets" / "face")
    spec = shutil.copy(EXAMPLE, tmp_path / "face_edit.yaml")
    assert main(["run", "--json", str(spec)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded", result
    m = result["metrics"]
    assert m["edit_achieved"] >= 0.4 and m["face_distance"] <= 0.45 and m["lip_colour_shift"] > 0
    assert [s["name"] for s in result["stages"]] == ["face_edit.mesh", "face_edit.figures", "assemble"]
    assert cv2.imread(result["outputs"]["image"]).shape == (512, 512, 3)
    with av.open(result["outputs"]["video"]) as video:
        assert video.streams.video[0].frames == 76  # 3 s at 25 fps, both ends included
