"""The reenactment flow end to end from the example spec's demo inputs: video, figures, gates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import pytest

from dh.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "examples" / "face_reenact.yaml"


def test_example_face_reenact_follows_the_driver(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.demo.face_assets import write_face_assets

    write_face_assets(tmp_path / "assets" / "face")
    spec = shutil.copy(EXAMPLE, tmp_path / "face_reenact.yaml")
    assert main(["run", "--json", str(spec)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded", result
    m = result["metrics"]
    assert m["motion_distance"] <= 0.1 and m["head_pose_distance"] <= 3 and m["face_distance_max"] <= 0.45
    assert m["landmark_jitter"] < m["driver_jitter"]  # the One-Euro filter steadies the driver's shake
    assert [s["name"] for s in result["stages"]] == ["face_reenact.mesh", "assemble", "face_reenact.figures"]
    with av.open(result["outputs"]["video"]) as video:
        assert video.streams.video[0].frames == 100
