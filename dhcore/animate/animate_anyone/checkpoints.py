"""Loading the release folders: key-exact checkpoints, converted once to safetensors.

Every `.pth`/`.bin` file is read once with `torch.load(weights_only=True)` and written as
`converted/<name>.safetensors` inside the model's store folder; the lock file records its sha256
and the sha256 of the file it came from, so a replaced release file is converted again. Later
loads read only the safetensors. A file whose keys differ from what our modules expect is an error
that lists the first few missing/unexpected keys and the counts (no silent `strict=False`).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from dhcore.models import registry
from dhcore.models.state_dict import check_keys, read_state_dict

CONVERTED = "converted"


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
    state = read_state_dict(src)
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
