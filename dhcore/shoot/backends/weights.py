"""Loading diffusion components from a public checkpoint folder, with errors a person can act on.

Every component is built from its config.json on the meta device, then its weights file is read
(safetensors, or a .bin through `torch.load(weights_only=True)`), reconciled with the few key
renames public checkpoints need, checked key by key and shape by shape, and assigned. A missing
file names the expected layout; a mismatching file lists the first offending keys with counts.
Nothing is downloaded and no pickle other than plain tensors is ever read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from dhcore.errors import ModelError
from dhcore.models.state_dict import check_keys, read_state_dict

M = TypeVar("M", bound=nn.Module)

#: older diffusers checkpoints (SD1.x VAEs) name attention projections differently
_ATTENTION_RENAMES = (
    (".query.", ".to_q."),
    (".key.", ".to_k."),
    (".value.", ".to_v."),
    (".proj_attn.", ".to_out.0."),
)
#: transformers 5 keeps CLIPTextModel without the `text_model.` prefix public files carry
_CLIP_PREFIX = "text_model."
#: buffers some checkpoints carry that current models rebuild themselves
_IGNORED_SUFFIXES = ("embeddings.position_ids",)


def layout_tree(root: Path, files: tuple[str, ...], sources: Mapping[str, str]) -> str:
    """The expected folder as an indented tree, each top-level entry annotated with its source."""
    lines = [f"{root}/"]
    groups: dict[str, list[str]] = {}
    for rel in files:
        top, _, rest = rel.partition("/")
        groups.setdefault(top, []).append(rest)
    for top, rests in groups.items():
        note = f"    <- {sources[top]}" if top in sources else ""
        if rests == [""]:
            lines.append(f"  {top}{note}")
            continue
        lines.append(f"  {top}/{note}")
        lines.extend(f"    {rest}" for rest in rests)
    return "\n".join(lines)


def check_layout(
    model_id: str, folder: Path, files: tuple[str, ...], sources: Mapping[str, str], hint: str = ""
) -> None:
    """Raise a ModelError naming every missing file and the whole expected layout."""
    missing = [rel for rel in files if not (folder / rel).is_file()]
    if not missing:
        return
    shown = ", ".join(missing[:8]) + (f" (+{len(missing) - 8} more)" if len(missing) > 8 else "")
    raise ModelError(
        f"model {model_id!r}: {folder} is missing {len(missing)} of {len(files)} files: {shown}.\n"
        f"Expected layout:\n{layout_tree(folder, files, sources)}\n"
        + (f"{hint}\n" if hint else "")
        + f"Put the files in one folder PATH with this layout and run: dh models add {model_id} PATH"
    )


def reconcile_keys(state: dict[str, torch.Tensor], expected: set[str]) -> dict[str, torch.Tensor]:
    """Apply the renames public checkpoints need; keys that fit no rename are left for the check."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key not in expected and key.endswith(_IGNORED_SUFFIXES):
            continue
        out[_rename(key, expected)] = value
    return out


def _rename(key: str, expected: set[str]) -> str:
    if key in expected:
        return key
    candidates = [key.removeprefix(_CLIP_PREFIX), _CLIP_PREFIX + key]
    for old, new in _ATTENTION_RENAMES:
        if old in key:
            candidates.append(key.replace(old, new))
    return next((c for c in candidates if c in expected), key)


def check_state_dict(model: nn.Module, state: Mapping[str, torch.Tensor], what: str, path: Path) -> None:
    """Raise a ModelError unless the file's tensors fit the module built from its config."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    check_keys(expected, state, f"{what}: {path} (is it the right file for this folder?)")


def load_module(
    build: Callable[[], M], weights: Path, what: str,
    device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32,
) -> M:  # fmt: skip
    """Build `build()` without allocating weights, then load, check and assign `weights` in `dtype` on `device`."""
    from accelerate import init_empty_weights

    try:
        with init_empty_weights():
            model = build()
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - a config the library cannot build is a model problem
        raise ModelError(
            f"{what}: cannot build the model from its config ({type(exc).__name__}: {exc})"
        ) from None
    state = reconcile_keys(read_state_dict(weights), set(model.state_dict()))
    check_state_dict(model, state, what, weights)
    # cast before assigning (the module takes the tensors' dtype), one tensor at a time so the
    # file's copy of each is freed as it goes: peak memory stays near one model, not two
    for key in list(state):
        value = state[key]
        state[key] = value.to(device=device, dtype=dtype if value.is_floating_point() else value.dtype)
        del value
    model.load_state_dict(state, strict=True, assign=True)
    return model.to(device).eval().requires_grad_(False)


def load_clip_tokenizer(folder: Path) -> Any:
    """A CLIP BPE tokenizer from vocab.json + merges.txt + its configs (local files only)."""
    from transformers import CLIPTokenizer

    try:
        return CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - unreadable tokenizer files
        raise ModelError(f"{folder}: cannot load the CLIP tokenizer ({type(exc).__name__}: {exc})") from None


def installed_folder(model_id: str, sources: Mapping[str, str], hint: str = "") -> Path:
    """The verified folder of a registered model; a missing file names the whole expected layout."""
    from dhcore.models import registry

    spec = registry.get(model_id)
    check_layout(model_id, registry.model_dir(model_id), spec.files, sources, hint)
    return registry.resolve(model_id)
