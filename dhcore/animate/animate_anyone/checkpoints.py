"""Loading the release folders: key-exact checkpoints, converted once to safetensors.

Every `.pth`/`.bin` file is read once with `torch.load(weights_only=True)` and written as
`converted/<name>.safetensors` inside the model's store folder; the lock file records its sha256
and the sha256 of the file it came from, so a replaced release file is converted again. Later
loads read only the safetensors. A file whose keys differ from what our modules expect is an error
that lists the first few missing/unexpected keys and the counts (no silent `strict=False`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from dhcore.errors import ModelError
from dhcore.models import registry

CONVERTED = "converted"
SHOW = 5


def _torch_load(path: Path) -> dict[str, torch.Tensor]:
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):  # only the legacy (pre-zip) format cannot be memory-mapped
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unpickling failure means an unusable file
        raise ModelError(f"{path}: cannot be read as a weights-only torch checkpoint ({exc})") from exc
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ModelError(f"{path}: is not a plain state dict (name -> tensor)")
    return dict(state)


def _save(state: Mapping[str, torch.Tensor], dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.part")
    # safetensors refuses tensors that share storage: copy those (and non-contiguous ones) only
    seen: set[int] = set()
    tensors = {}
    for k, v in state.items():
        ptr = v.untyped_storage().data_ptr()
        tensors[k] = v.detach().contiguous().clone() if ptr in seen or not v.is_contiguous() else v.detach()
        seen.add(ptr)
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, dest)


def converted_path(folder: Path, rel: str) -> Path:
    return folder / CONVERTED / (Path(rel).stem + ".safetensors")


def load_weights(model_id: str, rel: str, root: Path | None = None) -> dict[str, torch.Tensor]:
    """State dict of file `rel` of a registered model, through its safetensors conversion."""
    digests = registry.verify(model_id, root)
    folder = registry.model_dir(model_id, root)
    src = folder / rel
    if src.suffix == ".safetensors":
        return load_file(str(src))
    dest = converted_path(folder, rel)
    key = f"{CONVERTED}/{dest.name}"
    root_dir = root or folder.parent
    lock = registry.read_lock(root_dir)
    entry = lock.get(model_id, {}).get(key, {})
    if dest.is_file() and entry.get("source_sha256") == digests[rel]:
        st = dest.stat()
        if (entry.get("size"), entry.get("mtime_ns")) == (st.st_size, st.st_mtime_ns):
            return load_file(str(dest))
        if registry.sha256_file(dest) == entry.get("sha256"):
            _record(model_id, key, dest, digests[rel], root_dir)
            return load_file(str(dest))
    state = _torch_load(src)
    _save(state, dest)
    _record(model_id, key, dest, digests[rel], root_dir)
    return load_file(str(dest))


def _record(model_id: str, key: str, dest: Path, source_sha: str, root: Path) -> None:
    st = dest.stat()
    entry = {
        "sha256": registry.sha256_file(dest),
        "source_sha256": source_sha,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
    }
    registry.record_file(model_id, key, entry, root)


def check_keys(
    expected: Mapping[str, torch.Size | tuple[int, ...]],
    state: Mapping[str, torch.Tensor],
    source: str,
    optional: Collection[str] = (),
) -> None:
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
            more = f", … {len(items) - SHOW} more" if len(items) > SHOW else ""
            parts.append(f"{len(items)} {label} key(s): {', '.join(items[:SHOW])}{more}")
    raise ModelError(f"{source}: does not match the expected checkpoint layout; " + "; ".join(parts))


def load_into(
    module: torch.nn.Module,
    state: Mapping[str, torch.Tensor],
    source: str,
    keys: Collection[str] | None = None,
    optional: Collection[str] = (),
) -> None:
    """Check `state` against the module's keys (or the subset `keys`) and assign its tensors."""
    own = module.state_dict()
    expected = {k: own[k].shape for k in (own if keys is None else keys)}
    check_keys(expected, state, source, optional)
    module.load_state_dict(dict(state), strict=False, assign=True)


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read the config ({exc})") from exc
