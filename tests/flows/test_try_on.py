"""The try-on flow end to end from the example spec's demo inputs: dressed photo, figures, gates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import pytest

from dh.cli import main
from dhcore.catalog.repo import Catalog

EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "examples" / "try_on.yaml"


def test_example_try_on_succeeds_with_its_figures(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.demo.tryon_assets import write_tryon_assets

    write_tryon_assets(tmp_path / "assets" / "tryon")
    spec = shutil.copy(EXAMPLE, tmp_path / "try_on.yaml")
    assert main(["run", "--json", str(spec)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded", result
    m = result["metrics"]
    assert m["background_psnr"] >= 40 and m["face_distance"] <= 0.3 and m["garment_colour"] >= 0.5
    assert [s["name"] for s in result["stages"]] == ["pose.extract", "tryon.warp", "tryon.figures"]
    image = cv2.imread(result["outputs"]["image"])
    assert image.shape == (512, 512, 3)
    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["image"]
    assert lineage["step"]["stage"] == "tryon.warp"
    assert {"person", "garment", "person_pose"} <= set(lineage["inputs"])

    assert main(["run", "--json", str(spec)]) == 0  # the same spec again: every step from the cache
    again = json.loads(capsys.readouterr().out)
    assert all(s["cache_hit"] for s in again["stages"])
