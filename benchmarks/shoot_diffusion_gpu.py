"""Benchmark of the photo-shoot diffusion backends (arc2face, cosmicman) at their default settings.

For each backend whose model is installed in DH_MODELS_DIR, prints: the first image's seconds
(load + sampling), then per-image seconds of N warm images (min / median / max), and the peak
CUDA memory when it ran on a GPU. arc2face runs at 512x512 (its training size) from a random unit
identity vector (speed does not depend on whose vector it is); cosmicman at 1024x1024 from a
fixed prompt. `--tiny` installs tiny random checkpoints in a temporary store and runs on CPU:
that only checks the script, its figures say nothing about the real models.

    .venv/bin/python benchmarks/shoot_diffusion_gpu.py [--images 4] [--steps N] [--tiny]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROMPT = "A headshot, an adult woman with wavy brown hair, a white wall, soft studio light"


def _install_tiny(root: Path) -> None:
    from dhcore.models import registry
    from dhcore.shoot.backends.tiny import write_tiny_arc2face, write_tiny_cosmicman

    registry.add("arc2face", write_tiny_arc2face(root / "src_arc2face"), root=root / "models")
    registry.add("cosmicman_sdxl", write_tiny_cosmicman(root / "src_cosmicman"), root=root / "models")


def _run(name: str, size: int, images: int, steps: int | None, work: Path, device: str) -> None:
    import torch

    from dhcore.errors import ModelError
    from dhcore.shoot.backends import BACKENDS
    from dhcore.shoot.base import ShootInputs

    backend = BACKENDS[name]()
    params = backend.Params(device=device, **({"steps": steps} if steps else {}))
    embedding = work / "identity.npy"
    vector = np.random.default_rng(0).normal(size=512)
    np.save(embedding, (vector / np.linalg.norm(vector)).astype(np.float32))
    prompt = None if name == "arc2face" else PROMPT
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    seconds = []
    for i in range(images + 1):
        inputs = ShootInputs((), embedding, None, prompt, None, seed=i, width=size, height=size)
        started = time.perf_counter()
        try:
            result = backend.generate(inputs, params, work / f"{name}_{i}.png")
        except ModelError as exc:
            print(f"{name}: not installed ({str(exc).splitlines()[0]})")
            return
        seconds.append(time.perf_counter() - started)
    meta = result.outputs["image"].meta
    warm = seconds[1:]
    print(
        f"{name}: {size}x{size}, {meta['steps']} steps, {meta['scheduler']}, guidance {meta['guidance_scale']}, "
        f"{meta['device']} {meta['dtype']}: first image {seconds[0]:.2f} s (load + sampling); warm images "
        f"min {min(warm):.2f} / median {statistics.median(warm):.2f} / max {max(warm):.2f} s over {len(warm)}"
    )
    if meta["device"] == "cuda":
        print(f"{name}: peak CUDA memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4, help="warm images per backend (after the first)")
    parser.add_argument("--steps", type=int, default=None, help="override the backends' default steps")
    parser.add_argument(
        "--tiny", action="store_true", help="tiny random checkpoints on CPU (checks the script)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sizes = {"arc2face": 512, "cosmicman": 1024}
        device = "auto"
        if args.tiny:
            _install_tiny(work)
            os.environ["DH_MODELS_DIR"] = str(work / "models")
            sizes, device = {"arc2face": 64, "cosmicman": 64}, "cpu"
        import torch

        print(
            f"torch {torch.__version__}, cuda: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}"
        )
        for name, size in sizes.items():
            _run(name, size, args.images, args.steps, work, device)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
