"""Reading weight files safely and checking them against a model, shared by every torch backend.

Only safetensors, or `torch.load(weights_only=True)` (plain tensors, no code), are ever read.
A file that does not fit is a ModelError listing the first offending keys with counts, never a
shape error deep inside a forward pass.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import torch

from dhcore.errors import ModelError

#: how many offending keys an error message lists
SHOWN = 5


def read_json(path: Path) -> dict[str, Any]:
    """A component's config.json."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a readable JSON config ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: a config must be a JSON object")
    return data


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a weights file: safetensors, or a tensors-only pickle through weights_only=True."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device="cpu")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):  # only the legacy (pre-zip) format cannot be memory-mapped
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure here means a corrupt or foreign file
        raise ModelError(f"{path}: cannot read weights ({type(exc).__name__}: {exc}; only weights-only "
                         "checkpoints and safetensors are read)") from None  # fmt: skip
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ModelError(f"{path}: is not a plain state dict (tensor name -> tensor)")
    return dict(state)


def check_keys(
    expected: Mapping[str, torch.Size | tuple[int, ...]], state: Mapping[str, torch.Tensor], source: str,
    optional: Collection[str] = (),
) -> None:  # fmt: skip
    """Raise ModelError unless `state` has exactly the expected keys and shapes."""
    missing = [k for k in expected if k not in state and k not in optional]
    unexpected = [k for k in state if k not in expected]
    reshaped = [
        f"{k} {list(state[k].shape)} (expected {list(expected[k])})"
        for k in expected
        if k in state and tuple(state[k].shape) != tuple(expected[k])
    ]
    if not (missing or unexpected or reshaped):
        return
    parts = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("with another shape", reshaped)):
        if items:
            more = f", … {len(items) - SHOWN} more" if len(items) > SHOWN else ""
            parts.append(f"{len(items)} {label} key(s): {', '.join(items[:SHOWN])}{more}")
    raise ModelError(
        f"{source}: does not match the expected checkpoint layout ({len(state)} tensors in the file, "
        f"{len(expected)} expected); " + "; ".join(parts)
    )
