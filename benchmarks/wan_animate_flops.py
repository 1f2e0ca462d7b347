"""Transformer FLOPs of Wan2.2-Animate-14B at full size, counted on the meta device (no GPU, no weights).

Per segment and denoising step at 512x768 (W x H): diffusers' WanAnimateTransformer3DModel built
from the released config (dhcore.animate.wan_animate.release), one call as the pipeline makes it:
the noisy latents with the reference and previous-segment latents, the pose latents, 512 umT5
tokens, 257 CLIP tokens and the face crops through the motion encoder. Rows: the release's
configuration (segments of 77 sharing 1, 20 steps, no CFG: one call per step), the same with CFG
(two calls), and segments of 77 sharing 5. Then per video: segment-steps and PFLOP for `--frames`.

    .venv/bin/python benchmarks/wan_animate_flops.py [--size 512x768] [--frames 300] [--steps 20]
"""

from __future__ import annotations

import argparse
import math

import torch
from diffusers import WanAnimateTransformer3DModel
from torch.utils.flop_counter import FlopCounterMode

from dhcore.animate.wan_animate import release
from dhcore.animate.wan_animate.pipeline import segment_starts

TEXT_TOKENS, IMAGE_TOKENS = 512, 257  # umT5 padded to text_len; CLIP ViT-H/14 at 224: 16x16 patches + class


def step_flops(model: WanAnimateTransformer3DModel, segment: int, width: int, height: int) -> float:
    """FLOPs of one transformer call for one segment (batch 1)."""
    meta = torch.device("meta")
    cfg = model.config
    latent_t, h, w = (segment - 1) // 4 + 1, height // 8, width // 8
    face = cfg.motion_encoder_size
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(
            hidden_states=torch.zeros(1, cfg.in_channels, latent_t + 1, h, w, device=meta),
            timestep=torch.zeros(1, device=meta),
            encoder_hidden_states=torch.zeros(1, TEXT_TOKENS, cfg.text_dim, device=meta),
            encoder_hidden_states_image=torch.zeros(1, IMAGE_TOKENS, cfg.image_dim, device=meta),
            pose_hidden_states=torch.zeros(1, cfg.latent_channels, latent_t, h, w, device=meta),
            face_pixel_values=torch.zeros(1, 3, segment, face, face, device=meta),
            return_dict=False,
        )
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="512x768", help="WxH, multiples of 16")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    with torch.device("meta"):
        model = WanAnimateTransformer3DModel.from_config(release.TRANSFORMER).eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"Wan2.2-Animate-14B transformer (diffusers WanAnimateTransformer3DModel), {params / 1e9:.2f} G parameters, "
          f"{width}x{height}, meta device")  # fmt: skip
    print(f"{'config':>14} {'segment':>7} {'prev':>4} {'calls/step':>10} {'tokens':>7} {'TFLOP/seg-step':>14} "
          f"{'TFLOP/frame-step':>16} {'seg-steps':>9} {'PFLOP/video':>11}")  # fmt: skip
    cache: dict[int, float] = {}
    for name, segment, prev, calls in (
        ("release", 77, 1, 1),
        ("release + CFG", 77, 1, 2),
        ("prev 5", 77, 5, 1),
    ):
        if segment not in cache:
            cache[segment] = step_flops(model, segment, width, height)
        flops = cache[segment] * calls
        steps = len(segment_starts(args.frames, segment, prev)) * args.steps
        tokens = ((segment - 1) // 4 + 2) * math.prod((height // 16, width // 16))
        print(f"{name:>14} {segment:>7} {prev:>4} {calls:>10} {tokens:>7} {flops / 1e12:>14.1f} "
              f"{flops / (segment - prev) / 1e12:>16.2f} {steps:>9} {flops * steps / 1e15:>11.1f}")  # fmt: skip
    print(
        f"video: {args.frames} frames, {args.steps} steps; TFLOP/frame-step divides by the new frames of a segment"
    )


if __name__ == "__main__":
    main()
