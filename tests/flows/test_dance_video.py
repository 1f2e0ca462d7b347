"""The dance-video flow on a real Prefect API, real MediaPipe, real ffmpeg and a real catalog."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np
import pytest

from dhcore.catalog.repo import Catalog
from dhcore.media.frames import probe
from dhcore.quality import DEFAULT_QUALITY, judge

SPEC = """\
version: 1
kind: dance_video
name: {name}
subject: {{image: assets/astronaut.png}}
motion: {{type: keypoints, path: assets/dance.pose.npz}}
animate: {{backend: warp, width: 256, height: 256}}
output:
  audio: {{source: file, path: assets/beat.wav}}
  crf: {crf}
  extras: {{side_by_side: {extras}, skeleton_overlay: false}}
"""


def write_spec(folder: Path, name: str, crf: int = 18, extras: bool = False, **replace: str) -> Path:
    text = SPEC.format(name=name, crf=crf, extras=str(extras).lower())
    for old, new in replace.items():
        text = text.replace(old, new)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run(spec: Path) -> dict:
    from flows.dance_video import dance_video

    state = dance_video(spec_path=str(spec), return_state=True)
    return {"state": state, "result": state.result(raise_on_failure=False)}


def test_production_delivers_video_with_audio_and_lineage(
    prefect_api: None, demo_assets: Path, home: Path
) -> None:
    out = run(write_spec(demo_assets, "short", extras=True))
    assert out["state"].is_completed(), out["state"].message
    catalog = Catalog()
    info = catalog.show_production(out["result"]["production_id"])
    assert info["name"] == "short"
    _assert_judged(info)

    video = Path(info["outputs"]["video"]["path"])
    meta = probe(video)
    assert (meta.width, meta.height, meta.frames, meta.fps) == (256, 256, 36, 24)
    assert meta.has_audio and meta.codec == "h264"
    with av.open(str(video)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert probe(info["outputs"]["side_by_side"]["path"]).width == 768

    names = [s["name"] for s in info["stages"]]
    for stage in ("pose.extract", "pose.align", "pose.render", "animate.warp", "face.restore", "face.refine",
                  "assemble", "evaluate.pose_pck"):  # fmt: skip
        assert stage in names
    assert all(not s["cache_hit"] and s["status"] == "succeeded" for s in info["stages"])
    assert 0.0 <= info["metrics"]["pose_pck"] <= 1.0
    assert {a["role"] for a in info["inputs"]} == {"reference", "motion", "audio"}

    tree = catalog.production_lineage(info["production_id"])["outputs"]["video"]
    assert tree["step"]["stage"] == "assemble"
    chain, node = [], tree["inputs"]["frames"]
    while "step" in node and "frames" in node["inputs"]:
        chain.append(node["step"]["stage"])
        node = node["inputs"]["frames"]
    chain.append(node["step"]["stage"])
    assert chain == ["face.refine", "face.restore", "animate.warp"]
    assert node["inputs"]["reference_image"]["source"].endswith("astronaut.png")
    assert info["metrics"]["face_match_rate"] >= 0.95 and "face_match_rate_raw" in info["metrics"]


def _assert_judged(info: dict) -> None:
    """The production's status is its quality gates' verdict, with the reasons as its error."""
    verdict = judge(info["metrics"], DEFAULT_QUALITY)
    assert info["status"] == verdict.status and verdict.status in ("succeeded", "needs_review")
    assert info["error"] == ("quality gates: " + "; ".join(verdict.reasons) if verdict.reasons else None)
    gated = (
        "pose_pck",
        "pose_pck_limbs",
        "motion_follow",
        "body_integrity",
        "head_in_frame",
        "body_in_frame",
    )
    for name in gated:
        assert 0.0 <= info["metrics"][name] <= 1.0, name


def test_rerun_hits_cache_and_crf_change_reruns_only_assembly(
    prefect_api: None, demo_assets: Path, home: Path
) -> None:
    first = run(write_spec(demo_assets, "cached"))["result"]
    again = run(write_spec(demo_assets, "cached"))["result"]
    catalog = Catalog()
    stages = catalog.show_production(again["production_id"])["stages"]
    assert stages and all(s["cache_hit"] for s in stages)
    before = catalog.show_production(first["production_id"])["outputs"]["video"]["sha256"]
    assert catalog.show_production(again["production_id"])["outputs"]["video"]["sha256"] == before

    changed = run(write_spec(demo_assets, "cached", crf=30))["result"]
    stages = catalog.show_production(changed["production_id"])["stages"]
    rerun = [s["name"] for s in stages if not s["cache_hit"]]
    assert rerun == ["assemble"]

    # the quality block judges the figures; changing it re-runs nothing
    figures = catalog.show_production(first["production_id"])
    strict = {"output:": "quality: {enforce: fail, pose_pck: 1.0, body_integrity: 1.0}\noutput:"}
    failed = catalog.show_production(
        run(write_spec(demo_assets, "strict", **strict))["result"]["production_id"]
    )
    assert all(s["cache_hit"] for s in failed["stages"])
    below = [n for n in ("pose_pck", "body_integrity") if figures["metrics"][n] < 1.0]
    assert failed["status"] == ("failed" if below else "succeeded")
    assert all(f"{n} " in (failed["error"] or "") for n in below)
    lenient = {"output:": "quality: {pose_pck: null, pose_pck_limbs: null, motion_follow: null, "
               "body_integrity: null, head_in_frame: null, body_in_frame: null, face_match_rate: null}\noutput:"}  # fmt: skip
    passed = catalog.show_production(
        run(write_spec(demo_assets, "lenient", **lenient))["result"]["production_id"]
    )
    assert passed["status"] == "succeeded" and passed["error"] is None


def test_no_person_in_the_photo_is_refused_before_any_production(
    prefect_api: None, demo_assets: Path, home: Path
) -> None:
    """The reference check runs the production's own person detector at validation."""
    import cv2

    blank = demo_assets / "assets" / "wall.png"
    cv2.imwrite(str(blank), np.full((256, 256, 3), 200, np.uint8))
    no_face_stages = (
        "face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}\noutput:"
    )
    out = run(
        write_spec(
            demo_assets, "nobody", **{"assets/astronaut.png": "assets/wall.png", "output:": no_face_stages}
        )
    )
    assert out["state"].is_failed()
    message = str(out["result"])
    assert "subject.image" in message and "no person found in the reference photo" in message
    assert not [p for p in Catalog().list_productions() if p["name"] == "nobody"]
    assert not any(Path(home, "assets", "tmp").glob("*"))


@pytest.mark.postgres
def test_production_on_a_postgresql_catalog(
    prefect_api: None, demo_assets: Path, home: Path, postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DH_DATABASE_URL", postgres_database)
    out = run(write_spec(demo_assets, "on-postgres"))
    assert out["state"].is_completed(), out["state"].message
    info = Catalog(postgres_database).show_production(out["result"]["production_id"])
    assert (
        info["status"] in ("succeeded", "needs_review") and Path(info["outputs"]["video"]["path"]).is_file()
    )
    assert not (home / "catalog.db").exists()  # nothing went to the default SQLite file


def test_a_driver_with_no_body_fails_saying_so_without_a_traceback(
    prefect_api: None, demo_assets: Path, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A real scene nobody crosses: the production fails naming the user's video, and Prefect's log
    of the failed run gives that line without a traceback (a stage's own bug keeps its traceback)."""
    from tests import realdata

    lawn = realdata.empty_scene_clip(demo_assets / "assets" / "lawn.nut", frames=8)
    motion = {"{type: keypoints, path: assets/dance.pose.npz}": "{type: video, path: assets/lawn.nut}"}
    with caplog.at_level(logging.INFO):
        out = run(write_spec(demo_assets, "nobody-dances", **motion))
    failing = [r for r in caplog.records if "no visible body" in r.getMessage()]
    assert out["state"].is_failed()
    (made,) = [p for p in Catalog().list_productions() if p["name"] == "nobody-dances"]
    info = Catalog().show_production(made["production_id"])
    assert info["status"] == "failed" and f"{lawn}: no visible body in any of its 8 frames" in info["error"]
    assert not info["outputs"]
    assert [s["name"] for s in info["stages"] if s["status"] == "failed"] == ["pose.extract"]
    assert failing and not [r for r in failing if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text, caplog.text
