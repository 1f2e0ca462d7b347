"""Segments chained across pipeline calls reproduce diffusers' own single call, frame for frame,
while holding one segment's frames at a time."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from dhcore.animate.wan_animate.pipeline import SegmentedWanAnimatePipeline, Settings, animate, segment_starts
from dhcore.animate.wan_animate.tiny import tiny_pipeline

H, W, FACE = 32, 48, 16


def test_segment_starts_follow_the_pipeline_loop() -> None:
    assert segment_starts(9, 9, 1) == [0]
    assert segment_starts(17, 9, 1) == [0, 8]
    assert segment_starts(18, 9, 1) == [0, 8, 16]
    assert segment_starts(300, 77, 5) == [0, 72, 144, 216, 288]  # ceil((300 - 5) / 72) segments


@pytest.mark.parametrize("frames, prev, mode", [(17, 1, "animate"), (21, 5, "animate"), (17, 1, "replace")])
def test_parity_chained_calls_match_one_pipeline_call(frames: int, prev: int, mode: str) -> None:
    """17 frames in segments of 9 sharing 1 (21 in segments of 13 sharing 5): no end padding, so the
    pipeline's own call and ours see the same frames; only the carried frames' route differs."""
    segment = 9 if prev == 1 else 13
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    poses = list(rng.integers(0, 255, (frames, H, W, 3), dtype=np.uint8))
    faces = list(rng.integers(0, 255, (frames, FACE, FACE, 3), dtype=np.uint8))
    backgrounds = list(rng.integers(0, 255, (frames, H, W, 3), dtype=np.uint8))
    masks = [np.zeros((H, W), np.uint8) for _ in range(frames)]
    for i, mask in enumerate(masks):
        mask[4:28, 8 + i : 24 + i] = 255  # the person moves right
    scene = {
        "background_video": [Image.fromarray(b) for b in backgrounds],
        "mask_video": [Image.fromarray(m) for m in masks],
    }
    pipe = tiny_pipeline(cls=SegmentedWanAnimatePipeline)
    pipe.set_progress_bar_config(disable=True)
    embeds = pipe.encode_prompt(
        "a person dancing", do_classifier_free_guidance=False, device=torch.device("cpu")
    )
    whole = pipe(
        image=Image.fromarray(image), pose_video=[Image.fromarray(p) for p in poses],
        face_video=[Image.fromarray(f) for f in faces], prompt_embeds=embeds[0], height=H, width=W,
        segment_frame_length=segment, num_inference_steps=2, prev_segment_conditioning_frames=prev,
        generator=torch.Generator().manual_seed(5), output_type="np", mode=mode,
        **(scene if mode == "replace" else {}),
    ).frames[0]  # fmt: skip
    written: list[np.ndarray] = []
    stats = animate(
        pipe, image, iter(poses), iter(faces), frames, embeds, Settings(2, 1.0, segment, prev, None, 5),
        written.append, lambda d, t: None, (iter(backgrounds), iter(masks)) if mode == "replace" else None,
    )  # fmt: skip
    ours = np.concatenate(written)
    assert stats.calls == 2 and stats.max_live_frames == segment and ours.shape == (frames, H, W, 3)
    reference = (whole * 255).round()
    assert np.abs(ours.astype(np.float64) - reference).max() <= 1.0  # uint8 rounding of the same floats
    assert ours.std() > 1
