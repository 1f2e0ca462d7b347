"""talking_head.musetalk: the rendered talking head's mouth redrawn by MuseTalk v1.5 from the audio.

It runs after the mesh renderer (a portrait's head motion and blinks, or the person's own video), so
everything but the lower face is that stage's; MuseTalk replaces the mouth, jaw and cheeks in each
frame from the audio. Two passes over the frames, never holding them all: the face boxes (tracked,
One-Euro smoothed so the pasted area does not jitter), then the redraw in batches. A frame without a
face passes through unchanged and is counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.models import ids
from dhcore.stage import Device, InputValue, Output, StageContext, StageDef, StageParams, StageResult, port

NAME = "talking_head.musetalk"
VERSION = "1"


class Params(StageParams):
    #: registry id of the weights folder (dh models add musetalk_1_5 FOLDER: the release's models/)
    model: Literal["musetalk_1_5"] = ids.MUSETALK
    #: side of the square face crop the model redraws (the release: 256)
    face_size: int = Field(256, ge=64, le=512, multiple_of=64)
    #: share of the face's height added below the chin (the release's 10 px of 256)
    chin_margin: float = Field(0.04, ge=0, le=0.3)
    batch_size: int = Field(8, ge=1, le=64)
    #: auto: the GPU when there is one; cpu pins the run (and its deployment) to the CPU
    device: Device = "auto"


def _device(params: Params) -> Device:
    return params.device


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("frames", "frames"), port("audio", "audio")),
    outputs=(port("frames", "frames"),),
    impl="dhcore.talk.musetalk.stage:run",
    model_ids=lambda p: [p.model],
    device=_device,
    backend="musetalk",
)


def _boxes(frames_path: Path, fps: float, params: Params) -> list[tuple[int, int, int, int] | None]:
    from dhcore.facemesh.landmarks import track
    from dhcore.facemesh.one_euro import one_euro
    from dhcore.media.frames import iter_frames
    from dhcore.talk.musetalk.lipsync import face_box

    size: tuple[int, int] = (0, 0)

    def frames():  # type: ignore[no-untyped-def]
        nonlocal size
        for chunk in iter_frames(frames_path):
            size = (chunk.shape[2], chunk.shape[1])
            yield from chunk

    meshes = list(track(frames(), str(frames_path)))
    found = [face_box(m, *size, params.chin_margin) for m in meshes if m is not None]
    if not found:
        raise InputError(f"{frames_path}: no face in any of its {len(meshes)} frames")
    smooth = iter(np.round(one_euro(np.array(found, np.float64), fps)).astype(int).tolist())
    return [tuple(next(smooth)) if m is not None else None for m in meshes]  # type: ignore[misc]


def _load(folder: Path, device: str) -> object:
    import torch

    from dhcore.talk.musetalk.weights import load

    model = load(folder, device)
    if device == "cuda":
        for part in (model.unet, model.vae, model.whisper):
            part.to(torch.float16)
    return model


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Redraw the lower face of every frame to say the audio."""
    import cv2

    from dhcore.media.frames import FrameWriter, iter_frames, probe
    from dhcore.models.registry import resolve
    from dhcore.talk.audio import read_audio, silence_problem
    from dhcore.talk.musetalk import lipsync
    from dhcore.tryon.fashn.stage import torch_device

    frames_path, audio_path = Path(inputs["frames"]), Path(inputs["audio"])
    samples = read_audio(audio_path)
    if problem := silence_problem(samples):
        raise InputError(f"{audio_path}: {problem}")
    info = probe(frames_path)
    fps = float(info.fps or 25)
    boxes = _boxes(frames_path, fps, params)
    folder, device = resolve(params.model, ctx.models_root), torch_device(params.device)
    model = ctx.pool.get(
        (NAME, str(folder), device), lambda: _load(folder, device), slot="talking_head.musetalk"
    )
    features = lipsync.audio_features(samples, model.whisper, device)  # type: ignore[attr-defined]
    out_path, s, done = out_dir / "frames.nut", params.face_size, 0
    with FrameWriter(out_path, info.fps, info.width, info.height) as writer:
        for chunk in iter_frames(frames_path, chunk=params.batch_size):
            todo = [i for i in range(len(chunk)) if boxes[done + i] is not None]
            if todo:
                crops = np.stack([cv2.resize(chunk[i][y0:y1, x0:x1], (s, s), interpolation=cv2.INTER_AREA)
                                  for i in todo for x0, y0, x1, y1 in [boxes[done + i]]])  # fmt: skip
                tokens = np.stack([lipsync.frame_tokens(features, done + i, fps) for i in todo])
                for i, crop in zip(todo, lipsync.redraw(model, crops, tokens), strict=True):
                    chunk[i] = lipsync.paste(chunk[i], crop, boxes[done + i])  # type: ignore[arg-type]
            writer.write(chunk)
            done += len(chunk)
            ctx.progress(done, len(boxes))
    missing = sum(b is None for b in boxes)
    if missing:
        ctx.log.warning("%s: no face in %d of %d frames (left as rendered)", frames_path, missing, len(boxes))
    return StageResult(
        outputs={"frames": Output(path=out_path, kind="frames", meta={"frames": done, "fps": fps})},
        metrics={"lipsync_frames_without_face": float(missing)},
        frames=done,
    )
