"""Stage `render.extras`: review videos next to the main output.

- side by side: reference photo | target skeleton | result, three panels of the result's size;
- skeleton overlay: the result with the skeleton alpha-blended on top, to see where the
  animation departs from the target pose.

Both go through the main output's encoder path (codec, rate, soundtrack), reading the
result and skeleton frames files in lockstep chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.media.audio import choose_audio
from dhcore.media.encode import EncodeParams, check_length, encode_mp4
from dhcore.media.frames import DEFAULT_CHUNK, iter_frames, probe
from dhcore.media.geometry import photo_fit
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port

NAME = "render.extras"
VERSION = "1"

SIDE_BY_SIDE = "side_by_side"
SKELETON_OVERLAY = "skeleton_overlay"
PANEL_LABELS = ("reference", "pose", "result")
#: skeleton pixels at least this bright are fully opaque (times the opacity); darker edge
#: pixels of anti-aliased lines fade out instead of darkening the result
_OPAQUE_FROM = 64


class Params(EncodeParams):
    """The main output's encode settings, plus which extras to make and how."""

    side_by_side: bool = True
    skeleton_overlay: bool = True
    labels: bool = Field(True, description="panel names in the side-by-side video")
    overlay_opacity: float = Field(0.8, gt=0, le=1, description="opacity of the skeleton over the result")


def load_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"{path}: not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def label_layer(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Panel names for a row of panels of width x height: (RGB [H, 3W, 3], where-to-paint mask [H, 3W]).

    Drawn once and pasted on every frame: white text with a black outline, readable on any panel.
    """
    scale = max(0.4, height / 512 * 0.9)
    thick = max(1, round(scale * 2))
    origin = (round(14 * scale), round(36 * scale))  # baseline start of the text
    texts, masks = [], []
    for text in PANEL_LABELS:  # one canvas per panel, so a long name is clipped at its panel's edge
        rgb = np.zeros((height, width, 3), np.uint8)
        mask = np.zeros((height, width), np.uint8)
        cv2.putText(mask, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thick + 2, cv2.LINE_8)
        cv2.putText(rgb, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_8)
        texts.append(rgb)
        masks.append(mask)
    return np.concatenate(texts, axis=1), np.concatenate(masks, axis=1).astype(bool)


def fit_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Frames resized to width x height (a no-op when they already are)."""
    if frames.shape[1:3] == (height, width):
        return frames
    return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_LINEAR) for f in frames])


def side_by_side(
    reference: np.ndarray, skeleton: np.ndarray, result: np.ndarray,
    labels: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:  # fmt: skip
    """[n, H, 3W, 3]: the (already fitted) reference photo, skeleton and result frames in a row."""
    panels = np.concatenate([np.broadcast_to(reference, result.shape), skeleton, result], axis=2)
    if labels is not None:
        text_rgb, mask = labels
        panels[:, mask] = text_rgb[mask]
    return panels


def overlay(result: np.ndarray, skeleton: np.ndarray, opacity: float) -> np.ndarray:
    """The skeleton blended over the result; black skeleton pixels leave the result untouched.

    Only the drawn pixels are blended (a skeleton covers a few percent of the frame), which is
    ~20x faster than blending whole frames.
    """
    out = result.copy()
    for i in range(len(result)):
        brightness = cv2.cvtColor(skeleton[i], cv2.COLOR_RGB2HSV)[..., 2].ravel()  # V = max(R, G, B)
        drawn = np.flatnonzero(brightness)
        if len(drawn) == 0:
            continue
        alpha = np.minimum(brightness[drawn].astype(np.float32) / _OPAQUE_FROM, 1.0)[:, None] * opacity
        under, over = result[i].reshape(-1, 3)[drawn], skeleton[i].reshape(-1, 3)[drawn]
        out[i].reshape(-1, 3)[drawn] = (under * (1 - alpha) + over * alpha + 0.5).astype(np.uint8)
    return out


def _pairs(result: Path, skeleton: Path, frames: int, width: int, height: int) -> Iterator[tuple]:
    """(result, skeleton) chunks of equal length, skeleton resized to the result, up to `frames`."""
    res_it = iter_frames(result, chunk=DEFAULT_CHUNK)
    skel_it = iter_frames(skeleton, chunk=DEFAULT_CHUNK)
    done = 0
    try:
        for res, skel in zip(res_it, skel_it, strict=False):
            n = min(len(res), len(skel), frames - done)
            if n <= 0:
                break
            yield res[:n], fit_frames(skel[:n], width, height)
            done += n
    finally:
        res_it.close()
        skel_it.close()


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(
        port("reference", "image"),
        port("skeleton", "frames"),
        port("result", "frames"),
        port("audio", "audio", "video", optional=True),
    ),
    outputs=(port(SIDE_BY_SIDE, "video", optional=True), port(SKELETON_OVERLAY, "video", optional=True)),
    impl="dhcore.media.extras:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Write the chosen extras as `out_dir/side_by_side.mp4` and `out_dir/skeleton_overlay.mp4`."""
    reference, skeleton, result = Path(inputs["reference"]), Path(inputs["skeleton"]), Path(inputs["result"])
    audio, progress = inputs.get("audio"), ctx.progress
    res_info, skel_info = probe(result), probe(skeleton)
    if not res_info.fps:
        raise InputError(f"{result}: has no frame rate")
    check_length(result, res_info.frames, res_info.fps, params.fps)
    check_length(skeleton, skel_info.frames, res_info.fps, params.fps)
    frames = min(res_info.frames, skel_info.frames)
    width, height = res_info.width, res_info.height
    soundtrack, warnings = choose_audio(params.audio, audio)
    if skel_info.frames != res_info.frames:
        warnings.append(
            f"skeleton {skeleton} has {skel_info.frames} frames, result {result} has {res_info.frames}; "
            f"the extras use the first {frames}"
        )
    image = load_rgb(reference)
    photo = photo_fit(image.shape[1], image.shape[0], width, height).apply(image)
    labels = label_layer(height, width) if params.labels else None

    makers: dict[str, tuple[int, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {}
    if params.side_by_side:
        makers[SIDE_BY_SIDE] = (3 * width, lambda r, s: side_by_side(photo, s, r, labels))
    if params.skeleton_overlay:
        makers[SKELETON_OVERLAY] = (width, lambda r, s: overlay(r, s, params.overlay_opacity))

    outputs: dict[str, Output] = {}
    total = frames * len(makers)
    for index, (role, (out_width, make)) in enumerate(makers.items()):
        out_path = Path(out_dir) / f"{role}.mp4"
        info = encode_mp4(
            (make(r, s) for r, s in _pairs(result, skeleton, frames, width, height)),
            out_width, height, res_info.fps, frames, out_path, params.options(), soundtrack,
            lambda done, _total, base=index * frames: progress(base + done, total),
        )  # fmt: skip
        outputs[role] = Output(path=out_path, kind="video", meta=info.as_meta())
    return StageResult(outputs=outputs, frames=frames, warnings=warnings)
