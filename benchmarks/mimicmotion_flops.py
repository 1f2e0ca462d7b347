"""Denoiser FLOPs of MimicMotion at full size, counted on the meta device (no GPU, no weights).

Per window and step at 512x768 (W x H), SVD img2vid-xt's UNet plus the PoseNet:
"ours": the backend's windows (default 72 frames overlapping by 6, as the release), uncond and
cond rows in one call; "release": the configuration of MimicMotion's inference.py / configs/test.yaml (tiles of 72
frames overlapping by 6, one uncond and one cond call of batch 1); "ours+id" / "SA rel.": the same with
StableAnimator's ID adapters and 5 context tokens, the latter in its release's tiles of 16 by 4.
Then per video: window-steps
and total PFLOP for `--frames` output frames (plus the reference-pose frame) and `--steps` steps.

    .venv/bin/python benchmarks/mimicmotion_flops.py [--size 512x768] [--frames 300] [--steps 25]
"""

from __future__ import annotations

import argparse

import torch
from torch.utils.flop_counter import FlopCounterMode

from dhcore.animate.mimicmotion.denoiser import MimicMotionNet
from dhcore.animate.mimicmotion.id_attention import install_id_adapter
from dhcore.animate.mimicmotion.windows import anchored_windows

# stabilityai/stable-video-diffusion-img2vid-xt(-1-1) unet/config.json (the values MimicMotion builds)
SVD_UNET = {
    "in_channels": 8, "out_channels": 4, "block_out_channels": [320, 640, 1280, 1280],
    "down_block_types": ["CrossAttnDownBlockSpatioTemporal"] * 3 + ["DownBlockSpatioTemporal"],
    "up_block_types": ["UpBlockSpatioTemporal"] + ["CrossAttnUpBlockSpatioTemporal"] * 3,
    "layers_per_block": 2, "transformer_layers_per_block": 1, "num_attention_heads": [5, 10, 20, 20],
    "cross_attention_dim": 1024, "addition_time_embed_dim": 256, "projection_class_embeddings_input_dim": 768,
    "num_frames": 25, "sample_size": 96,
}  # fmt: skip


def window_step_flops(
    net: MimicMotionNet, frames: int, width: int, height: int, batched: bool, tokens: int = 1
) -> float:
    """FLOPs of one window at one step under guidance: PoseNet (cond) + uncond and cond UNet rows;
    `tokens` context tokens (5 with StableAnimator's identity tokens)."""
    meta = torch.device("meta")
    h, w = height // 8, width // 8
    ids = torch.zeros(1, 3, device=meta)
    ctx = torch.zeros(1, tokens, SVD_UNET["cross_attention_dim"], device=meta)
    t = torch.zeros((), device=meta)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        pose = net.pose_net(torch.zeros(frames, 3, height, width, device=meta))
        x = torch.zeros(1, frames, 8, h, w, device=meta)
        if batched:
            net(x.repeat(2, 1, 1, 1, 1), t, ctx.repeat(2, 1, 1), ids.repeat(2, 1), pose.repeat(2, 1, 1, 1))
        else:
            net(x, t, ctx, ids)
            net(x, t, ctx, ids, pose)
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="512x768", help="WxH, multiples of 64")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--window", type=int, default=72)
    parser.add_argument("--overlap", type=int, default=6)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    with torch.device("meta"):
        net = MimicMotionNet(SVD_UNET).eval()
        identity = MimicMotionNet(SVD_UNET).eval()
        install_id_adapter(identity.unet)
    net.to("meta")  # AlphaBlender's mix_factor is made with torch.Tensor([...]), on the CPU even here
    identity.to("meta")
    params = sum(p.numel() for p in net.parameters())
    print(f"MimicMotion denoiser (SVD UNet + PoseNet), {params / 1e9:.3f} G parameters, {width}x{height}, "
          f"guidance on (uncond + cond rows), meta device")  # fmt: skip
    configs = (
        ("ours", net, args.window, args.overlap, True, 1),
        ("release", net, 72, 6, False, 1),
        ("ours+id", identity, args.window, args.overlap, True, 5),  # identity: {encoder: stableanimator}
        ("SA rel.", identity, 16, 4, False, 5),  # StableAnimator's inference_basic.py: tiles of 16 by 4
    )
    print(f"{'config':>8} {'window':>6} {'overlap':>7} {'TFLOP/window-step':>17} {'TFLOP/frame-step':>16} "
          f"{'window-steps':>12} {'PFLOP/video':>11}")  # fmt: skip
    for name, model, window, overlap, batched, tokens in configs:
        flops = window_step_flops(model, window, width, height, batched, tokens)
        calls = len(anchored_windows(args.frames + 1, window, overlap)) * args.steps
        print(f"{name:>8} {window:>6} {overlap:>7} {flops / 1e12:>17.2f} {flops / window / 1e12:>16.3f} "
              f"{calls:>12} {flops * calls / 1e15:>11.1f}")  # fmt: skip
    print(f"video: {args.frames} frames + the reference-pose frame, {args.steps} steps")


if __name__ == "__main__":
    main()
