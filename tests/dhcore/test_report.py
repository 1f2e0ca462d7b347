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


def _write_video(path, frames: int = 12) -> None:
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 12, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i * 20, np.uint8))  # brightness rises frame by frame
    writer.release()


def test_report_embeds_a_contact_sheet_of_the_output_and_links_the_file(tmp_path) -> None:
    import base64

    import cv2
    import numpy as np

    from dhcore.report import contact_sheet_jpeg

    video = tmp_path / "v.mp4"
    _write_video(video)
    info = _info() | {"outputs": {"video": {"path": str(video), "kind": "video"}}}
    jpeg = contact_sheet_jpeg(info, tiles=4)
    sheet = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert sheet.shape == (48, 256)  # four 64x48 frames side by side
    means = [sheet[:, i * 64 + 8 : i * 64 + 56].mean() for i in range(4)]
    assert means == sorted(means) and means[-1] - means[0] > 80  # evenly spread over the video
    md = production_markdown(info, None, jpeg)
    assert f"Output: [v.mp4](file://{video})" in md
    assert f"data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}" in md
    assert contact_sheet_jpeg(_info() | {"outputs": {"video": {"path": str(tmp_path / "gone.mp4")}}}) is None


def test_errors_name_the_users_files_not_store_paths() -> None:
    from dhcore.report import name_user_files

    info = _info() | {"spec": {"source_path": "/in/dance.yaml"}}
    message = name_user_files("InputError: no person detected in /s/1.png", info)
    assert message == "/in/dance.yaml: InputError: no person detected in /in/me.png"
