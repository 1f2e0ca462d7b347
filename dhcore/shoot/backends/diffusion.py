"""What the diffusion backends share: params, scheduler choice, device/dtype, sizes, PNG output, cache.

Loaded components are kept per backend (one set each) so a shoot of many images loads its
weights once per process; a lock serialises generation on one set, because a scheduler and
the VAE's dtype are mutated during a run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from dhcore.errors import DhError, InputError, ModelError
from dhcore.pool import POOL
from dhcore.shoot.params import DiffusionParams, SchedulerName
from dhcore.spec.common import nearest_multiples

#: the pipelines' own check: latents are 1/8 of the image on SD-family VAEs
SIZE_MULTIPLE = 8


def make_scheduler(name: SchedulerName, config: dict[str, Any]) -> Any:
    """A fresh scheduler of the chosen kind from the model's scheduler_config.json."""
    from diffusers import (
        DDIMScheduler,
        DPMSolverMultistepScheduler,
        EulerAncestralDiscreteScheduler,
        EulerDiscreteScheduler,
    )

    kinds = {
        "dpmpp_2m": DPMSolverMultistepScheduler,  # DPM-Solver++ (2M), the library default algorithm
        "ddim": DDIMScheduler,
        "euler": EulerDiscreteScheduler,
        "euler_a": EulerAncestralDiscreteScheduler,
    }
    try:
        return kinds[name].from_config(config)
    except Exception as exc:  # noqa: BLE001 - a scheduler config the library rejects
        raise ModelError(f"scheduler config cannot build {name} ({type(exc).__name__}: {exc})") from None


def pick_device(params: DiffusionParams) -> tuple[torch.device, torch.dtype, list[str]]:
    """Resolve auto device/dtype; half precision asked for on a CPU falls back to float32 with a warning."""
    warnings: list[str] = []
    has_cuda = torch.cuda.is_available()
    if params.device == "cuda" and not has_cuda:
        raise InputError("backend params ask for device 'cuda' but no CUDA device is available here")
    device = torch.device(
        "cuda" if params.device == "cuda" or (params.device == "auto" and has_cuda) else "cpu"
    )
    if params.dtype == "auto":
        dtype = torch.float16 if device.type == "cuda" else torch.float32
    else:
        dtype = getattr(torch, params.dtype)
    if device.type == "cpu" and dtype != torch.float32:
        warnings.append(f"dtype {params.dtype} is not supported on cpu: using float32")
        dtype = torch.float32
    return device, dtype, warnings


def check_size(width: int, height: int, backend: str) -> None:
    """Width and height must be positive multiples of 8; the message suggests the nearest valid sizes."""
    bad = [
        (axis, v)
        for axis, v in (("width", width), ("height", height))
        if v < SIZE_MULTIPLE or v % SIZE_MULTIPLE
    ]
    if bad:
        hints = ", ".join(f"{axis} {v} -> {nearest_multiples(v, SIZE_MULTIPLE)}" for axis, v in bad)
        raise InputError(f"{backend}: image sizes must be multiples of {SIZE_MULTIPLE}: {hints}")


def seeded_generator(seed: int) -> torch.Generator:
    """A CPU generator: the initial noise is the same on every device for one seed."""
    return torch.Generator(device="cpu").manual_seed(int(seed))


def write_png(image: np.ndarray, out_path: Path) -> None:
    """Float RGB in [0, 1] ([H, W, 3]) -> 8-bit PNG; NaNs mean the run overflowed."""
    from PIL import Image

    if not np.isfinite(image).all():
        raise DhError(
            f"{out_path.name}: the generated image contains NaN/inf (numerical overflow; "
            "try dtype float32 or bfloat16)"
        )
    pixels = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode="RGB").save(out_path, format="PNG")


T = TypeVar("T")


def cached(slot: str, key: tuple[Any, ...], load: Callable[[], T]) -> T:
    """The components in `slot` of the warm-model pool when loaded with `key`, else load them (replacing
    the slot's old set)."""
    return POOL.get((slot, *key), load, slot=f"shoot.{slot}")


def clear_cache() -> None:
    """Drop every loaded component set (frees their memory once no run holds them)."""
    POOL.clear(slot="shoot")
