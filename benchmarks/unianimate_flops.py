"""Full-size UniAnimate denoiser FLOPs on the meta device (no GPU, no weights): ours vs the release.

Ours: one UNet call per window and step with the unconditional and conditional rows batched (the
uncond rows' pose/reference embeddings are computed and masked to zero). The release: two calls per
window and step, conditional then unconditional with every condition None (so the uncond call skips
the embedders). Both at the release's settings: 512x768 (W x H), windows of 32 overlapping by 8,
ddim_timesteps 30 (31 steps), guidance 2.5. Counts matmuls, convolutions and SDPA (FlopCounterMode).

    .venv/bin/python benchmarks/unianimate_flops.py [--size 512x768] [--window 32] [--frames 300]
"""

from __future__ import annotations

import argparse

import torch
from torch.utils.flop_counter import FlopCounterMode

from dhcore.animate.animate_anyone.windows import context_windows
from dhcore.animate.unianimate.config import FULL
from dhcore.animate.unianimate.denoiser import CfgDenoiser
from dhcore.animate.unianimate.scheduler import UniAnimateDDIM
from dhcore.animate.unianimate.unet import UniAnimateUNet


def count(fn) -> float:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="512x768", help="W x H, multiples of 64")
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--overlap", type=int, default=8)
    parser.add_argument("--steps", type=int, default=30, help="the release's ddim_timesteps")
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    h, w, f = height // 8, width // 8, args.window
    with torch.device("meta"):
        unet = UniAnimateUNet(FULL).to(torch.bfloat16).eval()
        x = torch.empty(1, 4, f, h, w, dtype=torch.bfloat16)
        t = torch.full((1,), 500)
        image = torch.empty(1, 1, FULL.context_dim, dtype=torch.bfloat16)
        poses = torch.empty(1, 3, f, height, width, dtype=torch.bfloat16)
        ref_pose = torch.empty(3, 1, height, width, dtype=torch.bfloat16)
        ref_latent = torch.empty(1, 4, h, w, dtype=torch.bfloat16)
        pose = torch.cat([ref_pose[None], poses], dim=2)
        denoiser = CfgDenoiser(unet, ref_latent, ref_pose)
        ours = count(lambda: denoiser(x.repeat(2, 1, 1, 1, 1), t.repeat(2), image.repeat(2, 1, 1),
                                      poses.repeat(2, 1, 1, 1, 1), uncond=1))  # fmt: skip
        cond = count(lambda: unet(x, t, image=image, pose=pose, ref_latent=ref_latent))
        uncond = count(lambda: unet(x, t))
    params = sum(p.numel() for p in unet.parameters())
    steps = UniAnimateDDIM(args.steps).steps
    windows = len(context_windows(args.frames, args.window, args.overlap))
    ref = cond + uncond
    print(
        f"UniAnimate UNet, {params / 1e9:.3f} B parameters; {width}x{height}, window {f} (+1 reference frame)"
    )
    print(
        f"per window and step (CFG): ours 1 call {ours / 1e12:.2f} TFLOP; release 2 calls "
        f"{cond / 1e12:.2f} + {uncond / 1e12:.2f} = {ref / 1e12:.2f} TFLOP; ratio ours/release {ours / ref:.4f}"
    )
    print(
        f"per {args.frames}-frame video: {windows} windows x {steps} steps = {windows * steps} window-steps; "
        f"ours {ours * windows * steps / 1e15:.1f} PFLOP, release {ref * windows * steps / 1e15:.1f} PFLOP"
    )


if __name__ == "__main__":
    main()
