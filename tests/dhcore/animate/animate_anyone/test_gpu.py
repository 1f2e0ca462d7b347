"""CUDA-only checks (skipped without a GPU): the same numbers on the GPU as on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.animate_anyone.components import cast

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def test_gpu_parity_step_cfg(golden_models, tiny_dir: Path) -> None:
    """One CFG step of the golden weights on the GPU in float32 (TF32 off)."""
    g = load_file(tiny_dir / "moore_aa" / "golden_step_cfg.safetensors")
    parts = golden_models("moore_aa")
    cuda = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        for m in (parts.unet, parts.reference.unet):
            m.to(cuda)
        clip = g["input.clip_image_embeds"].to(cuda)
        parts.unet.reference.load(parts.reference.bank(g["input.ref_latents"].to(cuda), clip))
        x = g["input.noisy_latents"].to(cuda).repeat(2, 1, 1, 1, 1)
        feats = g["input.pose_fea"].to(cuda).repeat(2, 1, 1, 1, 1)
        with torch.no_grad():
            out = parts.unet(
                x, g["input.timestep"], torch.cat([torch.zeros_like(clip), clip]), feats, uncond=1
            )
        assert (out.cpu() - g["output.noise_pred"]).abs()[1].max() < 1e-4
        assert (out.cpu() - g["output.noise_pred"]).abs()[0].max() < 5e-4
    finally:
        parts.unet.reference.clear()
        for m in (parts.unet, parts.reference.unet):
            m.to("cpu")


def _run(parts, device: str, dtype: torch.dtype) -> np.ndarray:
    from dhcore.animate.animate_anyone.conditioning import FrameStreams
    from dhcore.animate.animate_anyone.pipeline import RunSettings, animate
    from dhcore.animate.animate_anyone.sampler import SamplerSettings

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (64, 128, 3), dtype=np.uint8)
    poses = rng.integers(0, 255, (14, 64, 128, 3), dtype=np.uint8)
    chunks: list[np.ndarray] = []
    try:
        for m in parts.modules():
            cast(m, dtype)
        streams = FrameStreams({"pose": (Path("pose"), iter([poses]))}, (128, 64))
        settings = RunSettings(SamplerSettings(steps=3, window=8, overlap=2, window_batch=2), seed=1)
        stats = animate(parts, image, streams, 14, settings, torch.device(device), chunks.append)
        assert stats.frames == 14
    finally:
        for m in parts.modules():
            cast(m, torch.float32).to("cpu")
    return np.concatenate(chunks)


def test_gpu_pipeline_matches_cpu_and_runs_in_half_precision(golden_models) -> None:
    parts = golden_models("moore_aa")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    cpu = _run(parts, "cpu", torch.float32).astype(np.float64)
    gpu = _run(parts, "cuda", torch.float32).astype(np.float64)
    assert gpu.shape == cpu.shape == (14, 64, 128, 3)
    assert np.abs(gpu - cpu).mean() < 2.0
    for dtype in (torch.bfloat16, torch.float16):
        half = _run(parts, "cuda", dtype)
        assert half.shape == cpu.shape and half.std() > 1.0
