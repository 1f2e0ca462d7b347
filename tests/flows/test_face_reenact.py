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


LIVEPORTRAIT = """\
version: 1
kind: face_reenact
name: liveportrait-cpu
source: assets/face/astronaut.png
driver: assets/face/short_driver.mp4
backend: liveportrait
backend_params: {device: cpu}
"""


def _first_frames(src: Path, dst: Path, count: int) -> None:
    """The driver's first `count` frames as a video of their own (a short production)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        stream = out.add_stream("libx264", rate=vin.average_rate)
        stream.width, stream.height, stream.pix_fmt = vin.width, vin.height, "yuv420p"
        for i, frame in enumerate(inp.decode(vin)):
            if i == count:
                break
            out.mux(stream.encode(frame.reformat(format="yuv420p")))
        out.mux(stream.encode(None))


def test_the_liveportrait_backend_reenacts_on_cpu_from_a_local_model_folder(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Random tiny weights paint noise where the face was: the run, its frames, their size and the lineage
    are checked, and the gates must not let a video without a findable face pass."""
    from dhcore.catalog.repo import Catalog
    from dhcore.demo.face_assets import write_face_assets
    from tests.dhcore.reenact.test_liveportrait import write_tiny_model

    write_tiny_model(dh_home / "models")  # DH_MODELS_DIR defaults to DH_HOME/models
    assets = write_face_assets(tmp_path / "assets" / "face")
    _first_frames(assets["driver"], tmp_path / "assets" / "face" / "short_driver.mp4", 6)
    spec = tmp_path / "liveportrait.yaml"
    spec.write_text(LIVEPORTRAIT)
    assert main(["run", "--json", str(spec)]) == 3  # needs_review
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "needs_review", result
    assert result["metrics"]["face_found_rate"] < 0.9
    assert "face_found_rate" in result["error"], result["error"]  # the gates' reasons
    stages = [s["name"] for s in result["stages"]]
    assert stages == ["face_reenact.liveportrait", "assemble", "face_reenact.figures"]
    import cv2

    source = cv2.imread(str(assets["astronaut"]))
    with av.open(result["outputs"]["video"]) as video:
        stream = video.streams.video[0]
        assert (stream.width, stream.height) == source.shape[1::-1]
        frames = [f.to_ndarray(format="bgr24") for f in video.decode(stream)]
    assert len(frames) == 6
    assert float(abs(frames[0].astype(float) - source).mean()) < 40  # pasted into the photo, not replacing it
    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["video"]
    assert lineage["step"]["stage"] == "assemble"
    rendered = lineage["inputs"]["frames"]
    assert rendered["step"]["stage"] == "face_reenact.liveportrait"
    assert {"source", "driver"} == set(rendered["inputs"])
