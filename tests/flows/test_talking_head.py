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


MUSETALK = """\
version: 1
kind: talking_head
name: musetalk-cpu
portrait: portrait.png
speech: {audio: speech.wav}
backend: musetalk
backend_params: {face_size: 64, device: cpu}
"""


def test_the_musetalk_backend_lip_syncs_on_cpu_from_a_local_model_folder(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Random tiny weights: the mouth is noise, so the gates may ask for review; the run, its video with
    the audio, its figures and its lineage are what is checked."""
    import numpy as np
    from scipy.io import wavfile

    from dhcore.catalog.repo import Catalog
    from dhcore.demo.assets import png_writer
    from dhcore.demo.face_assets import portrait
    from tests.dhcore.talk.test_musetalk import write_tiny_model

    write_tiny_model(dh_home / "models")  # DH_MODELS_DIR defaults to DH_HOME/models
    png_writer(np.ascontiguousarray(portrait()[::2, ::2]))(tmp_path / "portrait.png")
    t = np.arange(16000) / 16000
    voice = 0.3 * np.sin(2 * np.pi * 180 * t) * (t < 0.6)
    wavfile.write(tmp_path / "speech.wav", 16000, voice.astype(np.float32))
    spec = tmp_path / "musetalk.yaml"
    spec.write_text(MUSETALK)
    assert main(["run", "--json", str(spec)]) in (0, 3)  # 3: needs_review
    result = json.loads(capsys.readouterr().out)
    assert result["status"] in ("succeeded", "needs_review"), result
    stages = ["talking_head.mesh", "talking_head.musetalk", "assemble", "talking_head.figures"]
    assert [s["name"] for s in result["stages"]] == stages
    assert result["metrics"]["lipsync_frames_without_face"] == 0 and "lipsync_peak" in result["metrics"]
    with av.open(result["outputs"]["video"]) as video:
        assert video.streams.video[0].width == 256 and len(video.streams.audio) == 1
        assert video.streams.video[0].frames == 25
    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["video"]
    assert lineage["step"]["stage"] == "assemble"
    synced = lineage["inputs"]["frames"]
    assert synced["step"]["stage"] == "talking_head.musetalk"
    assert synced["inputs"]["frames"]["step"]["stage"] == "talking_head.mesh"
    assert synced["inputs"]["audio"]["source"].endswith("speech.wav")
