"""The production report: stage table, metrics, per-frame identity before/after with the backend named."""

from __future__ import annotations

from dhcore.report import production_markdown


def _info() -> dict:
    return {
        "production_id": "abc", "name": "demo", "status": "succeeded", "error": None,
        "inputs": [{"role": "reference", "kind": "image", "path": "/s/1.png", "source": "/in/me.png", "sha256": "f" * 64}],
        "stages": [
            {"name": "animate.warp", "status": "succeeded", "cache_hit": False, "seconds": 2.5, "frames": 24,
             "cache_key": "k" * 64, "params": {}},
            {"name": "face.refine", "status": "succeeded", "cache_hit": True, "seconds": 0.0, "frames": 24,
             "cache_key": "r" * 64,
             "params": {"identity": {"backend": "dlib"}, "refine": {"backend": "landmark_swap"},
                        "restore": {"backend": "classical"}}},
        ],
        "metrics": {"pose_pck": 0.9, "face_match_rate": 1.0, "face_threshold": 0.6},
        "outputs": {"video": {"path": "/s/v.mp4"}},
    }  # fmt: skip


def test_report_lists_stages_metrics_and_identity_per_frame() -> None:
    series = {
        "face_distance_raw": [0.7] * 12 + [0.3] * 12,
        "face_distance": [0.4] * 12 + [0.3] * 12,
        "face_refined": [1.0] * 12 + [0.0] * 12,
    }
    md = production_markdown(_info(), series)
    assert "| animate.warp | succeeded | run | 2.5 | 24 |" in md
    assert "| face.refine | succeeded | hit |" in md
    assert "Total stage compute: 2.50 s" in md
    assert "`/in/me.png`" in md
    assert "identity backend **dlib**, refinement **landmark_swap**, restoration **classical**" in md
    assert "| 0–11 | 0.700 / 0.700 | 0.400 / 0.400 | 12 | 0/12 → 12/12 |" in md
    assert "| 12–23 | 0.300 / 0.300 | 0.300 / 0.300 | 0 | 12/12 → 12/12 |" in md
    assert "| 0.7–0.8 | 12 | 0 |" in md and "| 0.4–0.5 | 0 | 12 |" in md


def test_report_without_face_series_has_no_identity_section() -> None:
    assert "Identity per frame" not in production_markdown(_info())
