"""The production report (markdown), built from what the catalog recorded."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cv2
import numpy as np

#: metrics shown first, with a line on what they mean
EXPLAINED = {
    "pose_pck": "PCK@0.1 of the re-detected pose vs the target (joints it moves that the photo shows)",
    "pose_pck_limbs": "PCK@0.1 of elbows, wrists, knees and ankles",
    "motion_follow": "share of the target's limb motion the output makes (1 follows, 0 still)",
    "body_integrity": "frames showing one whole person of plausible size, nothing torn off beside them",
    "head_in_frame": "frames whose head stays in the frame when the target's does",
    "body_in_frame": "frames placing the body the photo shows (joints and the body around them) inside the frame",
    "face_match_rate_raw": "frames whose face matches the reference, before refinement",
    "face_match_rate": "frames that should show a face showing the reference's, delivered",
    "face_detect_rate": "frames with a detected face",
}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def production_markdown(
    info: dict[str, Any], series: dict[str, list[float | None]] | None = None, thumbnail: bytes | None = None
) -> str:
    """The report; `thumbnail` (a small JPEG) is embedded inline so it shows without a file server."""
    lines = [
        f"# {info['name']}",
        "",
        f"Production `{info['production_id']}` — **{info['status']}**",
    ]
    if link := output_link(info):
        lines += ["", f"Output: [{link.rsplit('/', 1)[-1]}]({link})"]
    if thumbnail:
        lines += [
            "",
            f"![contact sheet of the output](data:image/jpeg;base64,{base64.b64encode(thumbnail).decode()})",
        ]
    if info.get("error"):
        lines += ["", f"> {info['error']}"]
    if info.get("warnings"):
        lines += ["", "## Warnings", "", *(f"- {w}" for w in info["warnings"])]
    lines += ["", "## Inputs", "", "| role | kind | file | sha256 |", "|---|---|---|---|"]
    for a in info.get("inputs", []):
        lines.append(
            f"| {a['role']} | {a['kind']} | `{a.get('source') or a['path']}` | `{a['sha256'][:12]}` |"
        )
    lines += [
        "",
        "## Stages",
        "",
        "| stage | status | cache | seconds | frames | key |",
        "|---|---|---|---|---|---|",
    ]
    total = 0.0
    for s in info.get("stages", []):
        total += s["seconds"] or 0.0
        cache = "hit" if s["cache_hit"] else "run"
        lines.append(
            f"| {s['name']} | {s['status']} | {cache} | {_fmt(s['seconds'])} | {s['frames']} | `{s['cache_key'][:12]}` |"
        )
    lines += [
        "",
        f"Total stage compute: {total:.2f} s",
        "",
        "## Metrics",
        "",
        "| metric | value | meaning |",
        "|---|---|---|",
    ]
    metrics = info.get("metrics", {})
    for name in sorted(metrics, key=lambda n: (n not in EXPLAINED, n)):
        lines.append(f"| {name} | {_fmt(metrics[name])} | {EXPLAINED.get(name, '')} |")
    lines += identity_section(series or {}, metrics.get("face_threshold"), _face_backends(info))
    lines += models_section(info)
    if info.get("outputs"):
        lines += ["", "## Outputs", ""]
        lines += [f"- **{role}**: `{a['path']}`" for role, a in info["outputs"].items()]
    return "\n".join(lines) + "\n"


def models_section(info: dict[str, Any]) -> list[str]:
    """The models the production's spec reads, with their licences (a person decides what may ship)."""
    from dhcore.models.licences import licence_rows

    spec = info.get("spec") or {}
    rows = licence_rows(spec.get("kind", ""), spec.get("normalized") or {})
    if not rows:
        return []
    lines = ["", "## Models and licences", "", "| model | commercial use | licence |", "|---|---|---|"]
    return lines + [
        f"| {r['id']} | {'yes' if r['commercial'] else '**no**'} | {r['license']} |" for r in rows
    ]


def _face_backends(info: dict[str, Any]) -> str:
    """Which face backends the production used, from the face stages' recorded params."""
    for stage in reversed(info.get("stages", [])):
        params = stage.get("params") or {}
        if stage["name"] in ("face.refine", "face.identity"):
            identity = params.get("identity", params)
            parts = [f"identity backend **{identity.get('backend', '?')}**"]
            if "refine" in params:
                parts.append(f"refinement **{params['refine'].get('backend')}**")
            if "restore" in params:
                parts.append(f"restoration **{params['restore'].get('backend')}**")
            return ", ".join(parts)
    return ""


def identity_section(
    series: dict[str, list[float | None]], threshold: float | None, backends: str = "", per_row: int = 12
) -> list[str]:
    """Per-frame identity before and after refinement, one row per `per_row` frames, plus a histogram."""
    after = series.get("face_distance") or []
    before = series.get("face_distance_raw") or after
    refined = series.get("face_refined") or [0.0] * len(after)
    if not after:
        return []
    shown = f"{threshold:.2f}" if threshold is not None else "the backend's"
    lines = ["", "## Identity per frame", "", f"Face stages: {backends}." if backends else "",
             f"Distance of each frame's face to the reference (same person at or below {shown}).", "",
             "| frames | before: mean / max | after: mean / max | refined | pass before → after |",
             "|---|---|---|---|---|"]  # fmt: skip
    for start in range(0, len(after), per_row):
        b = [v for v in before[start : start + per_row] if v is not None]
        a = [v for v in after[start : start + per_row] if v is not None]
        r = sum(1 for v in refined[start : start + per_row] if v)
        passed = (
            f"{_passes(b, threshold)}/{len(b)} → {_passes(a, threshold)}/{len(a)}"
            if threshold is not None
            else "–"
        )
        lines.append(
            f"| {start}–{min(start + per_row, len(after)) - 1} | {_mean_max(b)} | {_mean_max(a)} | {r} | {passed} |"
        )
    lines += ["", "| distance | frames before | frames after |", "|---|---|---|"]
    edges = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 10.0]
    for lo, hi in zip(edges, edges[1:], strict=False):
        nb = sum(1 for v in before if v is not None and lo <= v < hi)
        na = sum(1 for v in after if v is not None and lo <= v < hi)
        label = f"{lo:.1f}–{hi:.1f}" if hi < 10 else f"≥ {lo:.1f}"
        lines.append(f"| {label} | {nb} | {na} |")
    return lines


def _passes(values: list[float], threshold: float | None) -> int:
    return sum(1 for v in values if threshold is not None and v <= threshold)


def _mean_max(values: list[float]) -> str:
    return f"{sum(values) / len(values):.3f} / {max(values):.3f}" if values else "no face"


def output_link(info: dict[str, Any]) -> str:
    """Where to look at a production's result: its main output (video, else the first) as a URL."""
    outputs = info.get("outputs") or {}
    role = "video" if "video" in outputs else next(iter(sorted(outputs)), None)
    if role is None:
        return ""
    path = outputs[role]["path"]
    if path.startswith("s3://"):
        from dhcore.catalog.objstore import ObjectStore

        return ObjectStore(path.rsplit("/", 1)[0]).link(path)
    return path if "://" in path else f"file://{path}"


def contact_sheet_jpeg(info: dict[str, Any], tiles: int = 4, width: int = 640) -> bytes | None:
    """A small JPEG of the output: `tiles` frames of the video side by side, or the first image.

    Reads the stored file (downloaded first from object storage); None when it cannot be read.
    """
    outputs = info.get("outputs") or {}
    from dhcore.catalog.objstore import local_path

    if "video" in outputs:
        frames = _video_frames(local_path(outputs["video"]["path"]), tiles)
    else:
        images = [outputs[r]["path"] for r in sorted(outputs) if outputs[r].get("kind") == "image"]
        frames = (
            [img for img in (cv2.imread(str(local_path(images[0]))),) if img is not None] if images else []
        )
    if not frames:
        return None
    h = min(f.shape[0] for f in frames)
    row = np.concatenate([cv2.resize(f, (round(f.shape[1] * h / f.shape[0]), h)) for f in frames], axis=1)
    scale = min(1.0, width / row.shape[1])
    row = cv2.resize(
        row,
        (max(1, round(row.shape[1] * scale)), max(1, round(row.shape[0] * scale))),
        interpolation=cv2.INTER_AREA,
    )
    ok, encoded = cv2.imencode(".jpg", row, [cv2.IMWRITE_JPEG_QUALITY, 75])
    return encoded.tobytes() if ok else None


def _video_frames(path: Path, count: int) -> list[np.ndarray]:
    """`count` BGR frames spread evenly over a video (middle of each segment), in one decoding pass.

    (Seeking to each would decode from the keyframe every time: most of a short video, `count` times.)
    """
    cap = cv2.VideoCapture(str(path))
    try:
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        wanted = {int((i + 0.5) * total / count) for i in range(count)} if total > 0 else set()
        frames: list[np.ndarray] = []
        index = 0
        while wanted and index <= max(wanted) and cap.grab():
            if index in wanted:
                ok, frame = cap.retrieve()
                if ok:
                    frames.append(frame)
            index += 1
        return frames
    finally:
        cap.release()


def name_user_files(message: str, info: dict[str, Any]) -> str:
    """An error message that names the user's files: store paths of inputs become the paths in the spec."""
    for a in info.get("inputs", []):
        if a.get("source") and a.get("path"):
            message = message.replace(str(a["path"]), str(a["source"]))
    spec = (info.get("spec") or {}).get("source_path")
    return f"{spec}: {message}" if spec and not message.startswith(spec) else message
