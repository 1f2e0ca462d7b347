"""Full-size FLOP counts of MagicAnimate per denoiser call, ours vs the release's configuration,
on the `meta` device (no GPU, no weights): 512x768 (W x H), windows of 16 by 4, CFG, 25 steps.

Counted with torch's FlopCounterMode (matmuls, convolutions, SDPA) on our modules at SD1.5 size:
the UNet3D on one window (CFG batch 2), the DensePose ControlNet on 16 frames and the appearance
encoder. The release's reference attention differs in two places that we count analytically per
fusion block (T tokens, width C, R = 2 x 16 rows): it projects the bank's keys/values for every
row of every call (4 R T C^2; we project them once per step) and recomputes the unconditional
rows with plain self-attention after attending to the bank (8 (R/2) T C^2 + 4 (R/2) T^2 C).
Per video, the release runs every frame through the ControlNet once per step in chunks of 16
and the appearance encoder at batch 2; we run the ControlNet per window (overlaps twice) and
the appearance encoder at batch 1, and place windows without wrapping around.

    .venv/bin/python benchmarks/magicanimate_flops.py [--size 512x768] [--frames 300] [--steps 25]
"""

from __future__ import annotations

import argparse

import torch
from diffusers import ControlNetModel
from torch.utils.flop_counter import FlopCounterMode

from dhcore.animate.animate_anyone.components import cast
from dhcore.animate.animate_anyone.config import UNetConfig
from dhcore.animate.animate_anyone.windows import context_windows
from dhcore.animate.magicanimate.appearance_encoder import AppearanceEncoder, build_appearance_unet
from dhcore.animate.magicanimate.config import MOTION, RELEASE
from dhcore.animate.magicanimate.unet3d import MagicUNet3D

SD15_CONTROLNET = {
    "cross_attention_dim": 768, "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
    "conditioning_embedding_out_channels": [16, 32, 96, 256],
}  # fmt: skip


def flops(fn) -> float:  # noqa: ANN001 - a thunk
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="512x768", help="W x H")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--steps", type=int, default=RELEASE.steps)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    h, w, window = height // 8, width // 8, RELEASE.window
    meta, dtype = torch.device("meta"), torch.bfloat16
    cfg = UNetConfig()
    with meta:
        unet = cast(MagicUNet3D(cfg, MOTION), dtype)
        controlnet = cast(ControlNetModel(**SD15_CONTROLNET), dtype)
        appearance = AppearanceEncoder(cast(build_appearance_unet(cfg), dtype))
        text = torch.randn(1, 77, cfg.cross_attention_dim, dtype=dtype)
        ref = torch.randn(1, 4, h, w, dtype=dtype)
        x = torch.randn(window, 4, h, w, dtype=dtype)
        control = torch.rand(window, 3, height, width, dtype=dtype)

    app1 = flops(lambda: appearance.bank(ref, 500, text))
    app2 = flops(lambda: appearance.writer.record(appearance.unet, ref.repeat(2, 1, 1, 1),
                                                  torch.full((2,), 500, device=meta), encoder_hidden_states=text.repeat(2, 1, 1)))  # fmt: skip
    bank = appearance.bank(ref, 500, text)
    cn16 = flops(lambda: controlnet(x, torch.full((window,), 500, device=meta), encoder_hidden_states=text.expand(window, -1, -1),
                                    controlnet_cond=control, return_dict=False))  # fmt: skip
    down, mid = controlnet(
        x, torch.full((window,), 500, device=meta), encoder_hidden_states=text.expand(window, -1, -1), controlnet_cond=control,
        return_dict=False,
    )  # fmt: skip
    sample = x.transpose(0, 1)[None].repeat(2, 1, 1, 1, 1)
    residuals = [d.repeat(2, 1, 1, 1) for d in down]
    unet.reference.load(bank)
    ours = flops(lambda: unet(sample, 500, text.expand(2, -1, -1), residuals, mid.repeat(2, 1, 1, 1), window))
    all_rows = flops(lambda: unet(sample, 500, text.expand(2, -1, -1), residuals, mid.repeat(2, 1, 1, 1), 0))
    unet.reference.clear()
    rows = 2 * window
    extra = 0.0
    for tokens in bank.values():
        t, c = tokens.shape[1], tokens.shape[2]
        extra += 4 * rows * t * c * c + 8 * (rows // 2) * t * c * c + 4 * (rows // 2) * t * t * c
    release_unet = all_rows + extra

    n_ours = len(context_windows(args.frames, window, RELEASE.overlap)) * args.steps
    n_rel = len(context_windows(args.frames, window, RELEASE.overlap, closed_loop=True)) * args.steps
    chunks = -(-args.frames // window)
    per_call_ours = ours + cn16
    per_call_rel = release_unet + cn16 * chunks * args.steps / n_rel
    total_ours = n_ours * per_call_ours + args.steps * app1
    total_rel = n_rel * release_unet + args.steps * (chunks * cn16 + app2)
    print(
        f"MagicAnimate full size (SD1.5 widths), {width}x{height}, window {window}/{RELEASE.overlap}, CFG, bf16 meta"
    )
    print(f"UNet3D per call (2 x {window} frames): ours {ours / 1e12:.3f} TFLOP, release configuration "
          f"{release_unet / 1e12:.3f} TFLOP (bank projections per row + unconditional recompute: "
          f"{extra / 1e12:.3f})")  # fmt: skip
    print(f"ControlNet per {window} frames {cn16 / 1e12:.3f} TFLOP; appearance encoder per step: ours (batch 1) "
          f"{app1 / 1e12:.3f}, release (batch 2) {app2 / 1e12:.3f} TFLOP")  # fmt: skip
    print(f"per denoiser call incl. ControlNet: ours {per_call_ours / 1e12:.3f} TFLOP, release "
          f"{per_call_rel / 1e12:.3f} TFLOP (ratio {per_call_rel / per_call_ours:.3f})")  # fmt: skip
    print(f"{args.frames} frames, {args.steps} steps: ours {n_ours} calls, {total_ours / 1e15:.2f} PFLOP; release "
          f"{n_rel} calls (closed loop), {total_rel / 1e15:.2f} PFLOP (ratio {total_rel / total_ours:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
