"""diffusers' WanAnimatePipeline driven one segment per call, so a video of any length runs in
the memory of one segment.

The pipeline's own call holds the whole pose and face videos and every decoded segment until the
end. Here each call gets one segment's frames; the only addition to diffusers' class is that a
call's first segment may continue the previous call's last frames, exactly as the pipeline's own
later segments do (same conditioning, same mask), so the segments chain as in one long call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from diffusers import WanAnimatePipeline
from PIL import Image


class SegmentedWanAnimatePipeline(WanAnimatePipeline):
    """WanAnimatePipeline whose first segment continues `carry`: the previous call's last frames."""

    carry: torch.Tensor | None = None  # [B, 3, prev_frames, H, W] in [-1, 1]

    def prepare_prev_segment_cond_latents(self, prev_segment_cond_video=None, *args, **kwargs):  # type: ignore[override]
        if prev_segment_cond_video is None and kwargs.get("start_frame") == 0 and self.carry is not None:
            # start_frame > 0 makes the pipeline mask the carried frames as known, as for its own segments
            prev_segment_cond_video, kwargs["start_frame"] = self.carry, 1
        return super().prepare_prev_segment_cond_latents(prev_segment_cond_video, *args, **kwargs)


@dataclass(frozen=True)
class Settings:
    steps: int
    guidance_scale: float
    segment_frames: int
    prev_frames: int
    motion_batch: int | None
    seed: int


@dataclass
class Stats:
    calls: int = 0  # pipeline calls (segments)
    transformer_calls: int = 0
    max_live_frames: int = 0  # pose/face frames held at once


def segment_starts(frames: int, segment: int, prev: int) -> list[int]:
    """First frame of each segment, as the pipeline's own loop places them."""
    starts, start = [], 0
    while True:
        starts.append(start)
        if start + segment >= frames:
            return starts
        start += segment - prev


def _pil(frames: list[np.ndarray]) -> list[Image.Image]:
    return [Image.fromarray(f) for f in frames]


def animate(
    pipe: SegmentedWanAnimatePipeline,
    image: np.ndarray,
    poses: Iterator[np.ndarray],
    faces: Iterator[np.ndarray],
    frames: int,
    prompt_embeds: tuple[torch.Tensor, torch.Tensor | None],
    settings: Settings,
    write: Callable[[np.ndarray], None],
    progress: Callable[[int, int | None], None],
    replace: tuple[Iterator[np.ndarray], Iterator[np.ndarray]] | None = None,
) -> Stats:
    """Generate `frames` frames segment by segment, writing each segment's new frames as it ends.

    `poses` (skeleton images at the output size) and `faces` (face crops) yield one frame per
    output frame, and in replace mode so do `replace` = (backgrounds at the output size, masks:
    uint8 [H, W], 255 where to generate); a segment holds segment_frames of each, and the last
    prev_frames carry over."""
    height, width = image.shape[:2]
    starts = segment_starts(frames, settings.segment_frames, settings.prev_frames)
    total = len(starts) * settings.steps
    stats = Stats()
    generator = torch.Generator("cpu").manual_seed(settings.seed)
    streams = (poses, faces, *(replace or ()))
    held: tuple[deque[np.ndarray], ...] = tuple(deque() for _ in streams)
    reference = Image.fromarray(image)
    positive, negative = prompt_embeds
    pipe.carry = None

    def step_done(_pipe, i, _t, kwargs):
        stats.transformer_calls += 2 if settings.guidance_scale > 1 else 1
        progress(stats.calls * settings.steps + i + 1, total)
        return kwargs

    try:
        for k, start in enumerate(starts):
            stop = min(start + settings.segment_frames, frames)
            while len(held[0]) < stop - start:
                for stream, frames_held in zip(streams, held, strict=True):
                    frames_held.append(next(stream))
            stats.max_live_frames = max(stats.max_live_frames, len(held[0]))
            pose_video, face_video, *scene = (_pil(list(h)) for h in held)
            out = pipe(
                image=reference, pose_video=pose_video, face_video=face_video,
                background_video=scene[0] if scene else None, mask_video=scene[1] if scene else None,
                prompt_embeds=positive, negative_prompt_embeds=negative, height=height, width=width,
                segment_frame_length=settings.segment_frames, num_inference_steps=settings.steps,
                mode="replace" if scene else "animate", prev_segment_conditioning_frames=settings.prev_frames,
                motion_encode_batch_size=settings.motion_batch, guidance_scale=settings.guidance_scale,
                generator=generator, output_type="pt", callback_on_step_end=step_done,
            ).frames  # fmt: skip
            video = out[0]  # [T, 3, H, W] in [0, 1]
            new = video if k == 0 else video[settings.prev_frames :]
            write((new.permute(0, 2, 3, 1).float().cpu().numpy() * 255).round().astype(np.uint8))
            pipe.carry = (video[-settings.prev_frames :].permute(1, 0, 2, 3)[None] * 2 - 1).to(out.dtype)
            stats.calls += 1
            for frames_held in held:  # keep the frames the next segment repeats
                for _ in range(len(frames_held) - settings.prev_frames):
                    frames_held.popleft()
    finally:
        pipe.carry = None
    return stats
