"""LivePortrait's release folder: four weights-only checkpoints, the config read off their shapes.

The release's `base_models/*.pth` are plain state dicts (read with `torch.load(weights_only=True)`);
the sizes follow from a few tensors, so a smaller model in the same layout (the tests' tiny one)
loads the same way, and every file is then checked key by key against the model that config builds.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from dhcore.errors import ModelError
from dhcore.models.state_dict import check_keys, read_state_dict
from dhcore.reenact.liveportrait.model import NETWORKS, Config, LivePortrait

BASE = "base_models"
FILES = tuple(f"{BASE}/{name}.pth" for name in NETWORKS)


def _count(shapes: dict[str, tuple[int, ...]], prefix: str) -> int:
    found = {int(m.group(1)) for k in shapes if (m := re.match(rf"{re.escape(prefix)}\.(\d+)\.", k))}
    return max(found) + 1 if found else 0


def infer_config(state: dict[str, dict[str, tuple[int, ...]]], folder: str) -> Config:
    """The Config from the four files' shapes (file stem -> key -> shape)."""

    def shape(file: str, key: str) -> tuple[int, ...]:
        if key not in state[file]:
            raise ModelError(
                f"{folder}/{BASE}/{file}.pth: has no tensor {key!r}: not a LivePortrait checkpoint"
            )
        return state[file][key]

    app, mot, warp, gen = (state[f] for f in NETWORKS)
    del app, gen
    stages = _count(mot, "detector.stages")
    dims = tuple(shape("motion_extractor", f"detector.downsample_layers.{i}.{0 if i == 0 else 1}.weight")[0]
                 for i in range(stages))  # fmt: skip
    blocks = _count(warp, "dense_motion_network.hourglass.encoder.down_blocks")
    outs = [shape("warping_module", f"dense_motion_network.hourglass.encoder.down_blocks.{i}.conv.weight")[0]
            for i in range(blocks)]  # fmt: skip
    return Config(
        block_expansion=shape("appearance_feature_extractor", "first.conv.weight")[0],
        max_features=shape("appearance_feature_extractor", "second.weight")[0],
        down_blocks=_count(state["appearance_feature_extractor"], "down_blocks"),
        reshape_channel=shape("appearance_feature_extractor", "resblocks_3d.3dr0.conv1.weight")[0],
        resblocks=len({k.split(".")[1] for k in state["appearance_feature_extractor"] if k.startswith("resblocks_3d.")}),
        num_kp=shape("motion_extractor", "detector.fc_kp.weight")[0] // 3,
        num_bins=shape("motion_extractor", "detector.fc_pitch.weight")[0],
        depths=tuple(_count(mot, f"detector.stages.{i}") for i in range(stages)),
        dims=dims,
        motion_expansion=outs[0] // 2 if outs else 0,
        motion_max_features=max(outs, default=0),
        motion_blocks=blocks,
        compress=shape("warping_module", "dense_motion_network.compress.weight")[0],
        spade_hidden=shape("spade_generator", "G_middle_0.norm_0.mlp_shared.0.weight")[0],
        out_channels=shape("spade_generator", "up_1.conv_1.weight_orig")[0],
        upscale=2 if "conv_img.0.weight" in state["spade_generator"] else 1,
    )  # fmt: skip


def read(folder: Path) -> dict[str, dict[str, torch.Tensor]]:
    """File stem -> its state dict; a missing file is a ModelError naming it."""
    out = {}
    for name, file in zip(NETWORKS, FILES, strict=True):
        path = Path(folder) / file
        if not path.is_file():
            raise ModelError(f"{path}: missing (a LivePortrait folder holds {', '.join(FILES)})")
        out[name] = read_state_dict(path)
    return out


def checked(folder: Path, state: dict[str, dict[str, torch.Tensor]]) -> Config:
    """The folder's config; a ModelError naming the file and the offending keys when a file is not
    exactly the layout that config implies."""
    shapes = {n: {k: tuple(v.shape) for k, v in s.items()} for n, s in state.items()}
    config = infer_config(shapes, str(folder))
    try:
        with torch.device("meta"):
            model = LivePortrait(config)
    except (RuntimeError, ValueError, ZeroDivisionError) as exc:
        raise ModelError(f"{folder}: its tensors give no consistent LivePortrait ({exc})") from None
    for name, file in zip(NETWORKS, FILES, strict=True):
        expected = {k: tuple(v.shape) for k, v in getattr(model, name).state_dict().items()}
        check_keys(expected, state[name], str(Path(folder) / file))
    return config


def load(folder: Path, device: str = "cpu") -> LivePortrait:
    """The four networks and, as `model.retargeting`, the stitching/retargeting MLPs."""
    from dhcore.reenact.liveportrait import stitching

    state = read(folder)
    config = checked(folder, state)
    model = LivePortrait(config)
    for name in NETWORKS:
        getattr(model, name).load_state_dict(state[name], strict=True)
    model.retargeting = torch.nn.ModuleDict(stitching.read(folder, config.num_kp))
    return model.to(device).eval()
