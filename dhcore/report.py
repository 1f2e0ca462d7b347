"""The production report (markdown), built from what the catalog recorded."""

from __future__ import annotations

from typing import Any

#: metrics shown first, with a line on what they mean
EXPLAINED = {
    "pose_pck": "PCK@0.1 of the re-detected pose vs the aligned target (upper body)",
    "face_match_rate_raw": "frames whose face matches the reference, before refinement",
    "face_match_rate": "frames whose face matches the reference, delivered",
    "face_detect_rate": "frames with a detected face",
}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def production_markdown(info: dict[str, Any]) -> str:
    lines = [
        f"# {info['name']}",
        "",
        f"Production `{info['production_id']}` — **{info['status']}**",
    ]
    if info.get("error"):
        lines += ["", f"> {info['error']}"]
    lines += ["", "## Inputs", "", "| role | kind | file | sha256 |", "|---|---|---|---|"]
    for a in info.get("inputs", []):
        lines.append(f"| {a['role']} | {a['kind']} | `{a['path']}` | `{a['sha256'][:12]}` |")
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
    if info.get("outputs"):
        lines += ["", "## Outputs", ""]
        lines += [f"- **{role}**: `{a['path']}`" for role, a in info["outputs"].items()]
    return "\n".join(lines) + "\n"
