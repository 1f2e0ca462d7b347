"""Tiny random UniAnimate release files, for tests and CPU benchmarks.

The same module classes and key names as the release at the "tiny" architecture, saved in the
release formats (the UNet `.pth`, SD2.1's checkpoint as safetensors with its other keys, open_clip's
`.bin`) and registered with `registry.add`, so a run exercises the real loading path.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

from dhcore.animate.unianimate.clip import OpenClip
from dhcore.animate.unianimate.components import CLIP_FILE, SD21_FILE, UNET_FILE, ModelIds
from dhcore.animate.unianimate.config import ARCHITECTURES
from dhcore.animate.unianimate.unet import UniAnimateUNet
from dhcore.animate.unianimate.vae import ldm_vae_shapes
from dhcore.models import registry

State = dict[str, torch.Tensor]


def _randomize(state: State, gen: torch.Generator) -> State:
    """Non-zero weights everywhere (the release zero-initialises some output layers)."""
    out = {}
    for k, v in state.items():
        if k.endswith(("norm.weight", "norm1.weight", "norm2.weight", "norm3.weight")) or ".ln_" in k:
            out[k] = 1 + 0.1 * torch.randn(v.shape, generator=gen)
        elif v.ndim >= 2:
            out[k] = torch.randn(v.shape, generator=gen) / max(1, v[0].numel()) ** 0.5
        else:
            out[k] = 0.05 * torch.randn(v.shape, generator=gen)
    return out


def random_release(arch: str = "tiny", seed: int = 0) -> dict[str, State]:
    """File name -> tensors, for the three release files."""
    a = ARCHITECTURES[arch]
    gen = torch.Generator().manual_seed(seed)
    unet = _randomize(UniAnimateUNet(a.unet).state_dict(), gen)
    clip = _randomize(OpenClip(a.clip).state_dict(), gen)
    vae = _randomize({k: torch.empty(s) for k, s in ldm_vae_shapes(a.vae).items()}, gen)
    vae["model.diffusion_model.out.2.bias"] = torch.zeros(4)  # SD2.1's other keys are ignored
    return {UNET_FILE: unet, SD21_FILE: vae, CLIP_FILE: clip}


def write_release(folder: Path, states: dict[str, State]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, state in states.items():
        if name.endswith(".safetensors"):
            save_file({k: v.contiguous() for k, v in state.items()}, str(folder / name))
        else:
            torch.save({k: v.contiguous() for k, v in state.items()}, folder / name)
    return folder


def install_tiny(folder: Path, root: Path | None = None, seed: int = 0) -> ModelIds:
    """Write a tiny random release and `dh models add` each file: the fixture of CPU flow tests."""
    write_release(folder, random_release("tiny", seed))
    ids = ModelIds()
    registry.add(ids.unet, folder / UNET_FILE, root)
    registry.add(ids.sd21, folder / SD21_FILE, root)
    registry.add(ids.clip, folder / CLIP_FILE, root)
    return ids
