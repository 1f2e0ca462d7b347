"""The checkpoint contract of a Wan-Animate folder, checked before diffusers loads it.

Each component's config builds its module on the `meta` device (no memory); the safetensors
headers of its weight files (through the shard index where there is one) must then hold exactly
the module's keys at the module's shapes. A wrong file is a ModelError naming the file and the
keys, instead of a diffusers traceback (or, for some mismatches, silently random weights).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from safetensors import safe_open

from dhcore.errors import ModelError

SHOWN = 5  # problems named in one message


def _module(component: str, config: dict) -> torch.nn.Module:
    from diffusers import AutoencoderKLWan, WanAnimateTransformer3DModel
    from transformers import CLIPVisionConfig, CLIPVisionModel

    with torch.device("meta"):
        if component == "transformer":
            return WanAnimateTransformer3DModel.from_config(config)
        if component == "vae":
            return AutoencoderKLWan.from_config(config)
        return CLIPVisionModel(CLIPVisionConfig(**{k: v for k, v in config.items() if not k.startswith("_")}))


#: component -> (weights file, or shard index) and unexpected keys diffusers ignores on load
CHECKED: dict[str, tuple[str, tuple[str, ...]]] = {
    "transformer": ("diffusion_pytorch_model.safetensors.index.json", ("norm_added_q",)),
    "vae": ("diffusion_pytorch_model.safetensors", ()),
    "image_encoder": ("model.safetensors", ()),
}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelError(
            f"{path}: missing (a Wan-Animate folder has {path.parent.name}/{path.name})"
        ) from exc
    except ValueError as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from exc


def file_shapes(folder: Path, weights: str) -> dict[str, tuple[Path, tuple[int, ...]]]:
    """key -> (file, shape) from the safetensors headers (a shard index names the files)."""
    if weights.endswith(".index.json"):
        weight_map = _read_json(folder / weights).get("weight_map", {})
        files = sorted({folder / name for name in weight_map.values()})
    else:
        files = [folder / weights]
    found: dict[str, tuple[Path, tuple[int, ...]]] = {}
    for path in files:
        if not path.is_file():
            raise ModelError(f"{path}: missing ({folder / weights} names it)")
        try:
            with safe_open(str(path), "pt") as fh:
                for key in fh.keys():  # noqa: SIM118 - safe_open is not a mapping
                    found[key] = (path, tuple(fh.get_slice(key).get_shape()))
        except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
            raise ModelError(f"{path}: not a readable safetensors file ({exc})") from exc
    return found


def component_problems(folder: Path, component: str) -> list[str]:
    weights, ignored = CHECKED[component]
    sub = folder / component
    config_path = sub / "config.json"
    module = _module(component, _read_json(config_path))
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    found = file_shapes(sub, weights)
    problems = [
        f"{path}: key {key!r} has shape {list(shape)}, {config_path} makes it {list(expected[key])}"
        for key, (path, shape) in found.items()
        if key in expected and shape != expected[key]
    ]
    missing = [k for k in expected if k not in found]
    if missing:
        problems.append(
            f"{sub / weights}: missing keys {missing[:SHOWN]}" + (" ..." if len(missing) > SHOWN else "")
        )
    unexpected = [k for k in found if k not in expected and not any(re.search(p, k) for p in ignored)]
    if unexpected:
        files = sorted({str(found[k][0]) for k in unexpected})
        problems.append(
            f"{', '.join(files)}: unexpected keys {unexpected[:SHOWN]}"
            + (" ..." if len(unexpected) > SHOWN else "")
        )
    return problems


def check_folder(folder: Path) -> None:
    """Every checked component's weights against its config; one ModelError naming them all."""
    problems = [p for component in CHECKED for p in component_problems(Path(folder), component)]
    if problems:
        raise ModelError("Wan-Animate checkpoint does not match its configs:\n" + "\n".join(problems))
