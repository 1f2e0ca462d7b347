"""LivePortrait's stitching and retargeting MLPs: one release file of three state dicts.

Stitching (on by default in the release's relative mode) nudges the driving keypoints, from both
keypoint sets, so the generated crop lines up with the photo it is pasted back into. The lip and eye
retargeting MLPs are read and checked (they share the file) but not driven by this backend.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from dhcore.errors import ModelError
from dhcore.models.state_dict import check_keys

FILE = "retargeting_models/stitching_retargeting_module.pth"
#: the file's entries -> the MLP's (input, output) sizes for K keypoints
PARTS = {
    "retarget_shoulder": lambda k: (6 * k, 3 * k + 2),
    "retarget_mouth": lambda k: (3 * k + 2, 3 * k),
    "retarget_eye": lambda k: (3 * k + 3, 3 * k),
}


class RetargetingMLP(nn.Module):
    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for a, b in zip(sizes, sizes[1:], strict=False):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.mlp = nn.Sequential(*layers[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x)


def read(folder: Path, num_kp: int) -> dict[str, RetargetingMLP]:
    """The three MLPs, their widths read off the file, checked key by key (a ModelError names the file
    and the entry or key that does not fit `num_kp` keypoints)."""
    path = Path(folder) / FILE
    if not path.is_file():
        raise ModelError(f"{path}: missing (the LivePortrait folder holds {FILE})")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure here means a corrupt or foreign file
        raise ModelError(f"{path}: cannot read weights ({type(exc).__name__}: {exc})") from None
    out = {}
    for part, io in PARTS.items():
        entry = state.get(part) if isinstance(state, dict) else None
        if not isinstance(entry, dict):
            raise ModelError(f"{path}: has no entry {part!r}: not LivePortrait's stitching/retargeting file")
        entry = {k.removeprefix("module."): v for k, v in entry.items()}
        widths = [
            v.shape[0]
            for k, v in sorted(entry.items(), key=lambda kv: _index(kv[0]))
            if k.endswith(".weight")
        ]
        model = RetargetingMLP([io(num_kp)[0], *widths[:-1], io(num_kp)[1]])
        check_keys({k: tuple(v.shape) for k, v in model.state_dict().items()}, entry, f"{path} [{part}]")
        model.load_state_dict(entry, strict=True)
        out[part] = model.eval()
    return out


def _index(key: str) -> int:
    parts = key.split(".")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else -1


def stitch(mlp: nn.Module, kp_source: torch.Tensor, kp_driving: torch.Tensor) -> torch.Tensor:
    """The driving keypoints nudged: an offset per keypoint and a shared image-plane shift."""
    b, k, _ = kp_source.shape
    delta = mlp(torch.cat([kp_source.reshape(b, -1), kp_driving.reshape(b, -1)], dim=1))
    shift = torch.zeros(b, 1, 3, dtype=delta.dtype, device=delta.device)
    shift[..., :2] = delta[:, 3 * k :].view(b, 1, 2)
    return kp_driving + delta[:, : 3 * k].view(b, k, 3) + shift
