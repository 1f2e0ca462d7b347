"""The try-on transformer from a local model folder: its config read off the checkpoint's shapes.

The release ships one `model.safetensors` and no config; its architecture follows from the tensor
shapes (hidden size, patch, heads from the q/k norm, block counts, categories), so a smaller model in
the same layout (the tests' tiny one) loads the same way. The image size is the release's 72 x 48
patch grid (864 x 576 at its 12-pixel patches). Only the safetensors header is read to check the layout.
"""

from __future__ import annotations

import re
from pathlib import Path

from dhcore.errors import ModelError
from dhcore.tryon.fashn.model import Config, TryOnModel

WEIGHTS = "model.safetensors"
#: the release's grid in patches (rows, columns)
GRID = (72, 48)


def header_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape from the safetensors header (no tensor is read)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except FileNotFoundError:
        raise ModelError(f"{path}: missing (the FASHN VTON folder holds {WEIGHTS})") from None
    except Exception as exc:  # noqa: BLE001 - any failure means not a safetensors file
        raise ModelError(f"{path}: not a readable safetensors file ({type(exc).__name__}: {exc})") from None


def _rotary_axes(head_dim: int) -> tuple[int, int, int]:
    """The release's (16, 56, 56) for 128-wide heads, scaled: an eighth (even) for the unused axis,
    the rest split between rows and columns."""
    first = max(2, 2 * round(head_dim / 16))
    row = (head_dim - first) // 4 * 2
    return first, row, head_dim - first - row


def infer_config(shapes: dict[str, tuple[int, ...]], source: str) -> Config:
    def shape(key: str) -> tuple[int, ...]:
        if key not in shapes:
            raise ModelError(f"{source}: has no tensor {key!r}: not a FASHN VTON v1.5 checkpoint")
        return shapes[key]

    hidden = shape("t_embedder.mlp.out_layer.weight")[0]
    patch = shape("x_embedder.proj.weight")[-1]
    head_dim = shape("double_blocks.0.img_attn.norm.query_norm.scale")[0]
    mlp = shape("double_blocks.0.img_mlp.0.weight")[0]
    if hidden % head_dim or mlp % hidden:
        raise ModelError(f"{source}: hidden size {hidden} does not fit heads of {head_dim} or MLP {mlp}")

    def count(prefix: str) -> int:
        found = {int(m.group(1)) for k in shapes if (m := re.match(rf"{prefix}\.(\d+)\.", k))}
        return max(found) + 1 if found else 0

    return Config(
        height=GRID[0] * patch, width=GRID[1] * patch, hidden=hidden, heads=hidden // head_dim,
        double_blocks=count("double_blocks"), single_blocks=count("single_blocks"),
        mixer_blocks=count("x_patch_mixer"), mlp_ratio=mlp // hidden, channels=shape("final_layer.linear.weight")[0] // patch**2,
        patch=patch, axes=_rotary_axes(head_dim), categories=shape("y_embedder.weight")[0] - 1,
    )  # fmt: skip


def checked_config(folder: Path) -> Config:
    """The folder's config; a ModelError naming the file and the offending keys when its tensors are
    not exactly the layout that config implies."""
    import torch

    from dhcore.models.state_dict import check_keys

    path = Path(folder) / WEIGHTS
    shapes = header_shapes(path)
    config = infer_config(shapes, str(path))
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in TryOnModel(config).state_dict().items()}
    check_keys(expected, {k: torch.empty(v, device="meta") for k, v in shapes.items()}, str(path))
    return config


def load(folder: Path, device: str = "cpu") -> TryOnModel:
    from dhcore.models.state_dict import read_state_dict

    config = checked_config(folder)
    model = TryOnModel(config)
    model.load_state_dict(read_state_dict(Path(folder) / WEIGHTS), strict=True)
    return model.to(device).eval()
