"""The face-swap flow end to end from the example spec's demo inputs: video with audio, figures, gates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dh.cli import main
from dhcore.catalog.repo import Catalog
from dhcore.media.frames import probe

EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "examples" / "face_swap.yaml"


def test_example_face_swap_succeeds_with_its_figures(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.demo.faceswap_assets import write_faceswap_assets

    write_faceswap_assets(tmp_path / "assets" / "faceswap")
    spec = shutil.copy(EXAMPLE, tmp_path / "face_swap.yaml")
    assert main(["run", "--json", str(spec)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded", result
    m = result["metrics"]
    assert m["swap_rate"] == 1.0 and m["identity_match_rate"] == 1.0 and m["realism_median"] >= 0.4
    assert m["jitter"] < m["jitter_raw"]
    assert [s["name"] for s in result["stages"]] == ["faceswap.video", "assemble"]
    video = probe(result["outputs"]["video"])
    assert (video.width, video.height, video.frames) == (384, 384, 30) and video.has_audio
    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["video"]
    assert lineage["step"]["stage"] == "assemble"

    assert main(["run", "--json", str(spec)]) == 0  # the same spec again: every step from the cache
    again = json.loads(capsys.readouterr().out)
    assert all(s["cache_hit"] for s in again["stages"])

    strict = tmp_path / "strict.yaml"  # the same production judged by a realism gate it cannot reach
    strict.write_text(spec.read_text().replace("realism_median: 0.4", "realism_median: 0.99"))
    assert main(["run", "--json", str(strict)]) == 3
    review = json.loads(capsys.readouterr().out)
    assert review["status"] == "needs_review" and "realism_median" in review["error"]
