"""Format checks `dh models add` runs before pinning a hash: a wrong file is refused at once.

Without them any bytes could be pinned under any id (a 2-byte file as gfpgan_1.4.onnx) and
`dh models verify` would say ok until a run failed. Checks go by the declared file's suffix;
nothing is executed: ONNX is parsed as protobuf, a safetensors header as JSON, and torch files
load with `weights_only=True` (tensors and plain containers only).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Collection, Mapping
from pathlib import Path

#: safetensors headers are a few MB at most; anything larger is not one
MAX_SAFETENSORS_HEADER = 100 << 20
TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt")


def format_problem(
    path: Path, rel: str, onnx_inputs: Collection[str] | None = None, keys: Collection[str] | None = None
) -> str | None:
    """None when `path` is a well-formed file of the kind `rel` names, else why not."""
    suffix = Path(rel).suffix.lower()
    size = path.stat().st_size
    if suffix in (".onnx", ".safetensors", *TORCH_SUFFIXES) and size < 16:
        return f"has only {size} bytes: not a {suffix} weights file"
    if suffix == ".onnx":
        return _onnx(path, onnx_inputs)
    if suffix == ".safetensors":
        return _safetensors(path, keys)
    if suffix in TORCH_SUFFIXES:
        return _torch(path, keys)
    if suffix == ".json":
        try:
            json.loads(path.read_bytes())
        except (ValueError, RecursionError) as exc:
            return f"is not valid JSON ({exc})"
    return None


def _onnx(path: Path, expected: Collection[str] | None) -> str | None:
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(model if model.ByteSize() < (2 << 30) - 1 else str(path))
    except Exception as exc:  # noqa: BLE001 - protobuf and the checker raise many types
        return f"is not a valid ONNX model ({type(exc).__name__}: {str(exc)[:200]})"
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    if expected and (missing := [n for n in expected if n not in inputs]):
        return f"ONNX inputs are {inputs}; expected {list(expected)} (missing {missing}): another model?"
    return None


def _safetensors(path: Path, expected: Collection[str] | None) -> str | None:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        (length,) = struct.unpack("<Q", fh.read(8))
        if length > min(size - 8, MAX_SAFETENSORS_HEADER):
            return f"is not a safetensors file (header length {length} in a {size}-byte file)"
        raw = fh.read(length)
    try:
        header = json.loads(raw)
    except ValueError as exc:
        return f"is not a safetensors file (header is not JSON: {exc})"
    if not isinstance(header, dict):
        return "is not a safetensors file (header is not a JSON object)"
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    data = size - 8 - length
    for name, info in tensors.items():
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and 0 <= offsets[0] <= offsets[1] <= data):
            return (
                f"is a damaged safetensors file (tensor {name!r} lies outside the file's {data} data bytes)"
            )
    return _keys_problem(tensors, expected)


def _torch(path: Path, expected: Collection[str] | None) -> str | None:
    import torch

    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a corrupt file, or a pickle that is more than tensors
        return f"does not load with torch.load(weights_only=True) ({type(exc).__name__}: {str(exc)[:200]})"
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if expected and not isinstance(state, Mapping):
        return f"holds a {type(state).__name__}, not a state dict"
    return _keys_problem(state, expected) if expected else None


def _keys_problem(found: Mapping[str, object], expected: Collection[str] | None) -> str | None:
    if not expected:
        return None
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if not (missing or unexpected):
        return None
    parts = [
        f"{len(v)} {label} key(s): {', '.join(v[:5])}"
        for label, v in (("missing", missing), ("unexpected", unexpected))
        if v
    ]
    return f"tensor names do not match the model's manifest ({'; '.join(parts)})"
