"""GPU benchmark of the Animate Anyone pipeline: full-size architecture, random weights.

Settings of the issue: 512x768 (W x H), windows of 24 overlapping by 4, 30 DDIM steps, guidance
3.5, SDPA attention. Prints frames/s, seconds per step, peak VRAM, and the denoiser's achieved
FLOP/s as a fraction of the GPU's bf16 peak (datasheet and a measured 8192^3 matmul).

"ours": bf16, the production path (`pipeline.animate`): wavefront sampler, reference keys/values
projected once, single-token cross-attention shortcut, unconditional rows attending only to
themselves, ReferenceNet and CLIP back on the CPU after the first step, chunked VAE decode.

"reference-style": the same modules configured to do what the release scripts do (the release
code itself is not run here and never enters the repository): fp16; every window of every step
in order over whole-video latents held on the GPU; the pose guider run once on the whole clip and
its features kept on the GPU; the bank concatenated to every frame's tokens and projected for all
rows, then the unconditional rows recomputed without it; full cross-attention to the CLIP token;
ReferenceNet and CLIP kept on the GPU; one-frame VAE decode; windows wrapped around (closed loop).

    python benchmarks/animate_anyone_gpu.py            # on a CUDA machine
    python benchmarks/animate_anyone_gpu.py --tiny     # quick check of the script on CPU
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL
from diffusers.models.attention_processor import AttnProcessor2_0
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from dhcore.animate.animate_anyone.components import Components, cast
from dhcore.animate.animate_anyone.conditioning import (
    FrameStreams,
    clip_context,
    decode_latents,
    reference_latent,
)
from dhcore.animate.animate_anyone.config import MOORE, MotionConfig, UNetConfig
from dhcore.animate.animate_anyone.cross_attention import cross_attentions
from dhcore.animate.animate_anyone.pipeline import RunSettings, animate
from dhcore.animate.animate_anyone.pose_guider import PoseGuider
from dhcore.animate.animate_anyone.reference_attention import reference_blocks
from dhcore.animate.animate_anyone.reference_unet import ReferenceNet, build_reference_unet
from dhcore.animate.animate_anyone.sampler import SamplerSettings
from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.animate.animate_anyone.tiny import TINY_CLIP, TINY_POSE_WIDTHS, TINY_UNET, TINY_VAE
from dhcore.animate.animate_anyone.unet3d import DenoisingUNet3D
from dhcore.animate.animate_anyone.windows import context_windows

H100_BF16_DENSE_TFLOPS = 989.4  # SXM5 datasheet, dense (no sparsity)
SD_VAE = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32,
    "block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4, "sample_size": 512, "scaling_factor": 0.18215,
}  # fmt: skip
CLIP_L14 = {
    "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24, "num_attention_heads": 16,
    "image_size": 224, "patch_size": 14, "projection_dim": 768, "hidden_act": "quick_gelu",
}  # fmt: skip


def log(*args: object) -> None:
    print(*args, flush=True)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def build(tiny: bool, device: torch.device, dtype: torch.dtype) -> Components:
    torch.manual_seed(0)
    cfg = UNetConfig.from_dict(TINY_UNET) if tiny else UNetConfig()
    with torch.device(device):
        unet = DenoisingUNet3D(cfg, MotionConfig(max_len=32))
        ref = build_reference_unet(cfg)
        guider = PoseGuider(cfg.block_out_channels[0], TINY_POSE_WIDTHS if tiny else (16, 32, 96, 256))
        vae = AutoencoderKL.from_config(TINY_VAE if tiny else SD_VAE)
        clip = CLIPVisionModelWithProjection(CLIPVisionConfig(**(TINY_CLIP if tiny else CLIP_L14)))
    parts = Components(MOORE, unet.eval(), ReferenceNet(ref), guider.eval(), vae.eval(), clip.eval())
    for m in parts.modules():
        cast(m, dtype).requires_grad_(False)
    return parts


def random_frames(frames: int, width: int, height: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    for start in range(0, frames, 16):
        yield rng.integers(0, 255, (min(16, frames - start), height, width, 3), dtype=np.uint8)


class UNetTimer:
    """Times every denoiser call with CUDA events (perf_counter on CPU)."""

    def __init__(self, unet: torch.nn.Module, device: torch.device):
        self.unet, self.device, self.events = unet, device, []
        self.forward = unet.forward
        unet.forward = self  # type: ignore[method-assign]

    def __call__(self, *args, **kwargs):
        if self.device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            out = self.forward(*args, **kwargs)
            end.record()
            self.events.append((start, end))
        else:
            t0 = time.perf_counter()
            out = self.forward(*args, **kwargs)
            self.events.append(time.perf_counter() - t0)
        return out

    def seconds(self) -> float:
        sync(self.device)
        if self.device.type == "cuda":
            return sum(s.elapsed_time(e) for s, e in self.events) / 1000
        return sum(self.events)

    def remove(self) -> None:
        del self.unet.forward


def memory_reset(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gb(device: torch.device) -> tuple[float, float]:
    if device.type != "cuda":
        return 0.0, 0.0
    return torch.cuda.max_memory_allocated() / 2**30, torch.cuda.max_memory_reserved() / 2**30


def count_unet_flops(
    parts: Components,
    image: np.ndarray,
    device: torch.device,
    window: int,
    batch: int,
    procs: dict | None = None,
    state: dict | None = None,
) -> float:
    """FLOPs of one denoiser call of `batch` windows under CFG (matmuls, convolutions, SDPA);
    works on the `meta` device too (no GPU needed for the counts)."""
    from torch.utils.flop_counter import FlopCounterMode

    h, w = image.shape[0] // 8, image.shape[1] // 8
    for module in parts.modules():
        module.to(device)
    context = clip_context(parts.image_encoder, image)
    bank = parts.reference.bank(reference_latent(parts.vae, image), context)
    parts.unet.reference.load(bank)
    p = next(parts.unet.parameters())
    for name, proc in (procs or {}).items():
        proc.tokens = bank[name].to(torch.float16).to(p.dtype)
    if state is not None:
        state["uncond_rows"] = batch * window
    x = torch.randn(2 * batch, 4, window, h, w, device=device, dtype=p.dtype)
    feats = torch.randn(
        2 * batch, parts.unet.cfg.block_out_channels[0], window, h, w, device=device, dtype=p.dtype
    )
    ctx = torch.cat([torch.zeros_like(context), context]).repeat_interleave(batch, 0)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        parts.unet(x, torch.full((2 * batch,), 500, device=device), ctx, feats, uncond=batch)
    parts.unet.reference.clear()
    return float(counter.get_total_flops())


def flops_only(width: int, height: int, frames: int, steps: int, window: int, overlap: int) -> None:
    """Exact denoiser FLOPs of both configurations at full size, on the meta device."""
    meta = torch.device("meta")
    image = np.zeros((height, width, 3), dtype=np.uint8)
    ours = count_unet_flops(build(False, meta, torch.bfloat16), image, meta, window, 1)
    parts = build(False, meta, torch.float16)
    state, procs = reference_style(parts)
    ref = count_unet_flops(parts, image, meta, window, 1, procs, state)
    n_ours = len(context_windows(frames, window, overlap)) * steps
    n_ref = len(context_windows(frames, window, overlap, closed_loop=True)) * steps
    log(f"denoiser FLOPs per call ({width}x{height}, window {window}, CFG batch 2): ours {ours / 1e12:.2f} T, "
        f"reference-style {ref / 1e12:.2f} T, ratio {ref / ours:.3f}")  # fmt: skip
    log(f"per {frames}-frame video, {steps} steps: ours {n_ours} calls, {ours * n_ours / 1e15:.2f} PFLOP; "
        f"reference-style {n_ref} calls, {ref * n_ref / 1e15:.2f} PFLOP")  # fmt: skip


def run_ours(parts, image, frames, steps, window, overlap, batch, device, decode_chunk) -> dict:
    width, height = image.shape[1], image.shape[0]
    written = [0]

    def write(chunk: np.ndarray) -> None:
        written[0] += len(chunk)

    streams = FrameStreams(
        {"pose": (Path("skeleton"), random_frames(frames, width, height))}, (width, height)
    )
    settings = RunSettings(
        SamplerSettings(steps, 3.5, window, overlap, False, batch), seed=0, decode_chunk=decode_chunk
    )
    memory_reset(device)
    timer = UNetTimer(parts.unet, device)
    try:
        sync(device)
        t0 = time.perf_counter()
        stats = animate(parts, image, streams, frames, settings, device, write)
        sync(device)
        wall = time.perf_counter() - t0
    finally:
        timer.remove()
    assert written[0] == frames
    alloc, reserved = peak_gb(device)
    return {
        "mode": "ours", "frames": frames, "steps": steps, "window_batch": batch, "wall_s": wall,
        "frames_per_s": frames / wall, "s_per_step": wall / steps, "unet_s": timer.seconds(),
        "unet_calls": stats.unet_calls, "windows": stats.windows, "live_frames": stats.max_live_frames,
        "peak_alloc_gb": alloc, "peak_reserved_gb": reserved,
    }  # fmt: skip


class ReferenceStyleRead:
    """Self-attention as the release scripts compute it (see the module docstring)."""

    def __init__(self, state: dict):
        self.state, self.tokens = state, None

    def __call__(self, attn, hidden, *args, **kwargs):
        def sdpa(q_in, kv_in):
            n, _, inner = q_in.shape
            heads = attn.heads

            def split(t):
                return t.view(n, -1, heads, inner // heads).transpose(1, 2)

            out = F.scaled_dot_product_attention(
                split(attn.to_q(q_in)), split(attn.to_k(kv_in)), split(attn.to_v(kv_in))
            )
            return attn.to_out[0](out.transpose(1, 2).reshape(n, -1, inner))

        n = hidden.shape[0]
        out = sdpa(hidden, torch.cat([hidden, self.tokens.expand(n, -1, -1)], dim=1))
        u = self.state["uncond_rows"]
        if u:
            out = out.clone()
            out[:u] = sdpa(hidden[:u], hidden[:u])
        return out


def reference_style(parts: Components) -> tuple[dict, dict[str, ReferenceStyleRead]]:
    state = {"uncond_rows": 0}
    procs = {}
    for name, block in reference_blocks(parts.unet):
        procs[name] = ReferenceStyleRead(state)
        block.attn1.set_processor(procs[name])
    for attn in cross_attentions(parts.unet):
        attn.set_processor(AttnProcessor2_0())
    for attn in cross_attentions(parts.reference.unet):
        attn.set_processor(AttnProcessor2_0())
    return state, procs


@torch.no_grad()
def run_reference_style(parts, image, frames, steps, window, overlap, device, state, procs) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    width, height = image.shape[1], image.shape[0]
    h, w = height // 8, width // 8
    memory_reset(device)
    for m in parts.modules():
        m.to(device)
    timer = UNetTimer(parts.unet, device)
    sync(device)
    t0 = time.perf_counter()
    p = next(parts.unet.parameters())
    context = clip_context(parts.image_encoder, image)
    bank = parts.reference.bank(reference_latent(parts.vae, image), context)
    for name, proc in procs.items():
        proc.tokens = bank[name].to(torch.float16).to(p.dtype)
    poses = torch.from_numpy(np.concatenate(list(random_frames(frames, width, height)))).to(device)
    pose_fea = parts.condition((poses.permute(0, 3, 1, 2).float() / 255).to(p.dtype)).transpose(0, 1)[None]
    del poses
    gen = torch.Generator().manual_seed(0)
    latents = torch.randn((1, 4, frames, h, w), generator=gen).to(device, p.dtype)
    sched = VDDIM(MOORE, steps)
    windows = context_windows(frames, window, overlap, closed_loop=True)
    ctx = torch.cat([torch.zeros_like(context), context])
    calls, flops = 0, 0.0
    for s, t in enumerate(sched.timesteps):
        acc = torch.zeros((2, *latents.shape[1:]), device=device, dtype=p.dtype)
        count = torch.zeros((1, 1, frames, 1, 1), device=device, dtype=p.dtype)
        for win in windows:
            x = latents[:, :, win].repeat(2, 1, 1, 1, 1)
            state["uncond_rows"] = len(win)
            call = (x, torch.tensor(t, device=device), ctx, pose_fea[:, :, win].repeat(2, 1, 1, 1, 1))
            if calls == 0:
                with FlopCounterMode(display=False) as counter:
                    pred = parts.unet(*call, uncond=1)
                flops = float(counter.get_total_flops())
            else:
                pred = parts.unet(*call, uncond=1)
            calls += 1
            acc[:, :, win] += pred
            count[:, :, win] += 1
        uncond, cond = (acc / count).chunk(2)
        latents = sched.step(uncond + 3.5 * (cond - uncond), s, latents)
    decoded = 0
    for f in range(frames):
        decode_latents(parts.vae, latents[:, :, f])
        decoded += 1
    sync(device)
    wall = time.perf_counter() - t0
    timer.remove()
    alloc, reserved = peak_gb(device)
    return {
        "mode": "reference-style", "frames": frames, "steps": steps, "window_batch": 1, "wall_s": wall,
        "frames_per_s": frames / wall, "s_per_step": wall / steps, "unet_s": timer.seconds(), "unet_calls": calls,
        "windows": len(windows), "live_frames": frames, "peak_alloc_gb": alloc, "peak_reserved_gb": reserved,
        "unet_flops_per_call": flops, "unet_tflops": flops * calls / timer.seconds() / 1e12,
    }  # fmt: skip


def matmul_tflops(device: torch.device) -> float:
    if device.type != "cuda":
        return 0.0
    n = 8192
    a, b = (torch.randn(n, n, device=device, dtype=torch.bfloat16) for _ in range(2))
    for _ in range(3):
        a @ b
    sync(device)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        a @ b
    end.record()
    sync(device)
    return 2 * n**3 * 20 / (start.elapsed_time(end) / 1000) / 1e12


def table(rows: list[dict]) -> None:
    log(f"{'mode':<16}{'dtype':>6}{'frames':>7}{'steps':>6}{'wb':>4}{'wall s':>9}{'frames/s':>9}{'s/step':>8}"
        f"{'unet s':>8}{'calls':>6}{'live':>6}{'peak alloc GB':>14}{'reserved GB':>12}{'TFLOP/s':>9}")  # fmt: skip
    for r in rows:
        log(f"{r['mode']:<16}{r['dtype']:>6}{r['frames']:>7}{r['steps']:>6}{r['window_batch']:>4}{r['wall_s']:>9.2f}"
            f"{r['frames_per_s']:>9.3f}{r['s_per_step']:>8.3f}{r['unet_s']:>8.2f}{r['unet_calls']:>6}"
            f"{r['live_frames']:>6}{r['peak_alloc_gb']:>14.2f}{r['peak_reserved_gb']:>12.2f}"
            f"{r.get('unet_tflops', 0):>9.1f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="tiny config on CPU: checks the script, no figures")
    ap.add_argument(
        "--flops-only", action="store_true", help="only count full-size FLOPs (meta device, no GPU)"
    )
    ap.add_argument("--size", default="512x768", help="W x H")
    ap.add_argument("--frames", type=int, default=48, help="video length for the throughput runs")
    ap.add_argument("--long", type=int, default=240, help="longer video for the memory runs")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--memory-steps", type=int, default=4, help="steps of the memory-vs-length runs")
    ap.add_argument("--window", type=int, default=24)
    ap.add_argument("--overlap", type=int, default=4)
    ap.add_argument("--batches", default="1,2", help="window_batch values for ours")
    ap.add_argument("--decode-chunk", type=int, default=4)
    ap.add_argument("--json", help="also write all rows to this file")
    ap.add_argument(
        "--compile", action="store_true", help="also time ours with torch.compile'd denoiser blocks"
    )
    ap.add_argument(
        "--budget-s", type=float, default=420, help="skip the compile stage past this many seconds"
    )
    args = ap.parse_args()
    if args.flops_only:
        width, height = (int(v) for v in args.size.lower().split("x"))
        flops_only(width, height, args.frames, args.steps, args.window, args.overlap)
        return
    device = torch.device("cpu" if args.tiny else "cuda")
    if args.tiny:
        torch.set_num_threads(1)
        args.size, args.frames, args.long, args.steps, args.memory_steps = "128x64", 12, 20, 2, 2
        args.window, args.overlap = 8, 2
    width, height = (int(v) for v in args.size.lower().split("x"))
    image = np.random.default_rng(2).integers(0, 255, (height, width, 3), dtype=np.uint8)
    gpu = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    log(f"{datetime.datetime.now().isoformat(timespec='seconds')} device {gpu}, torch {torch.__version__}")
    peak = matmul_tflops(device)
    if peak:
        log(
            f"measured bf16 8192^3 matmul: {peak:.0f} TFLOP/s; datasheet dense bf16 (H100 SXM): {H100_BF16_DENSE_TFLOPS}"
        )
    rows = []
    start = time.perf_counter()

    # ours, bf16
    dtype = torch.float32 if args.tiny else torch.bfloat16
    parts = build(args.tiny, device, dtype)
    log(f"built full-size modules in {time.perf_counter() - start:.1f} s")
    for batch in (int(b) for b in args.batches.split(",")):
        flops = count_unet_flops(parts, image, device, args.window, batch)
        warm = run_ours(
            parts,
            image,
            min(args.window, args.frames),
            1,
            args.window,
            args.overlap,
            batch,
            device,
            args.decode_chunk,
        )
        del warm
        r = run_ours(
            parts, image, args.frames, args.steps, args.window, args.overlap, batch, device, args.decode_chunk
        )
        r.update(
            dtype="bf16" if not args.tiny else "fp32",
            unet_flops_per_call=flops,
            unet_tflops=flops * r["unet_calls"] / r["unet_s"] / 1e12,
        )
        rows.append(r)
        log(json.dumps(r))
    for frames in (args.frames, args.long):
        r = run_ours(
            parts, image, frames, args.memory_steps, args.window, args.overlap, 1, device, args.decode_chunk
        )
        r.update(dtype="bf16" if not args.tiny else "fp32")
        rows.append(r)
        log(json.dumps(r))
    if args.compile and time.perf_counter() - start < args.budget_s:
        try:
            t0 = time.perf_counter()
            for blocks in (parts.unet.down_blocks, parts.unet.up_blocks):
                for block in blocks:
                    block.compile()
            parts.unet.mid_block.compile()
            run_ours(parts, image, args.window, 1, args.window, args.overlap, 1, device, args.decode_chunk)
            log(f"compile + first call: {time.perf_counter() - t0:.1f} s")
            r = run_ours(
                parts, image, args.frames, args.steps, args.window, args.overlap, 1, device, args.decode_chunk
            )
            flops = rows[0]["unet_flops_per_call"]
            r.update(
                mode="ours+compile", dtype="bf16", unet_tflops=flops * r["unet_calls"] / r["unet_s"] / 1e12
            )
            rows.append(r)
            log(json.dumps(r))
        except Exception as exc:  # the compiled variant is optional: report and go on
            log(f"torch.compile stage failed: {type(exc).__name__}: {str(exc)[:300]}")
    del parts
    memory_reset(device)

    # reference-style, fp16
    dtype = torch.float32 if args.tiny else torch.float16
    parts = build(args.tiny, device, dtype)
    state, procs = reference_style(parts)
    run_reference_style(parts, image, args.window, 1, args.window, args.overlap, device, state, procs)
    for frames, steps in (
        (args.frames, args.steps),
        (args.frames, args.memory_steps),
        (args.long, args.memory_steps),
    ):
        try:
            r = run_reference_style(
                parts, image, frames, steps, args.window, args.overlap, device, state, procs
            )
        except torch.OutOfMemoryError:
            log(f"reference-style, {frames} frames: out of GPU memory")
            continue
        r.update(dtype="fp16" if not args.tiny else "fp32")
        rows.append(r)
        log(json.dumps(r))
    table(rows)
    ours = next(
        r for r in rows if r["mode"] == "ours" and r["steps"] == args.steps and r["window_batch"] == 1
    )
    best = max(
        (r for r in rows if r["mode"] == "ours" and r["steps"] == args.steps), key=lambda r: r["frames_per_s"]
    )
    ref = next((r for r in rows if r["mode"] == "reference-style" and r["steps"] == args.steps), None)
    if ref:
        log(f"throughput ours / reference-style at {args.frames} frames, {args.steps} steps: "
            f"{ours['frames_per_s'] / ref['frames_per_s']:.2f}x (window_batch 1), "
            f"{best['frames_per_s'] / ref['frames_per_s']:.2f}x (best, window_batch {best['window_batch']})")  # fmt: skip
    if peak:
        log(f"ours UNet achieved {ours['unet_tflops']:.0f} TFLOP/s = {ours['unet_tflops'] / H100_BF16_DENSE_TFLOPS:.1%} "
            f"of datasheet bf16 peak, {ours['unet_tflops'] / peak:.1%} of the measured matmul rate")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    log(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
