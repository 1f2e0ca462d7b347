"""The talking-head flow end to end from the example spec's demo inputs: video with its audio, figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import pytest

from dh.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "examples" / "talking_head.yaml"


def test_example_talking_head_succeeds_with_lip_sync(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.demo.face_assets import write_face_assets

    write_face_assets(tmp_path / "assets" / "face")
    spec = shutil.copy(EXAMPLE, tmp_path / "talking_head.yaml")
    assert main(["run", "--json", str(spec)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded", result
    m = result["metrics"]
    assert m["lipsync_peak"] >= 0.5 and m["lipsync_lag_abs"] <= 2 and m["silent_closed"] >= 0.9
    assert m["face_distance_max"] <= 0.45 and m["frames_without_face"] == 0
    assert [s["name"] for s in result["stages"]] == ["talking_head.mesh", "assemble", "talking_head.figures"]
    with av.open(result["outputs"]["video"]) as video:
        assert video.streams.video[0].width == 512 and len(video.streams.audio) == 1
