"""Implicit keypoints from the motion extractor, and LivePortrait's relative motion between them.

A face's keypoints are s * (canonical @ R + expression) + t (t's depth dropped). Relative mode keeps
the source's canonical keypoints and moves them by what changed since the driver's first frame:
head angles and shift added, scale multiplied, expression offsets added (each change scaled by the
spec's head_motion / expression factors).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def degrees(bins: torch.Tensor) -> torch.Tensor:
    """Head angle (degrees) from the release's 66 bins of 3 degrees from -97.5 (the expectation)."""
    idx = torch.arange(bins.shape[-1], dtype=bins.dtype, device=bins.device)
    return (F.softmax(bins, dim=-1) * idx).sum(-1) * 3 - 97.5


def rotation(pitch: torch.Tensor, yaw: torch.Tensor, roll: torch.Tensor) -> torch.Tensor:
    """[b, 3, 3]: (Rz Ry Rx) transposed, so that points (rows) are turned by p @ R."""
    x, y, z = (a * math.pi / 180 for a in (pitch, yaw, roll))
    one, zero = torch.ones_like(x), torch.zeros_like(x)

    def mat(*rows: torch.Tensor) -> torch.Tensor:
        return torch.stack(rows, dim=-1).view(-1, 3, 3)

    rx = mat(one, zero, zero, zero, x.cos(), -x.sin(), zero, x.sin(), x.cos())
    ry = mat(y.cos(), zero, y.sin(), zero, one, zero, -y.sin(), zero, y.cos())
    rz = mat(z.cos(), -z.sin(), zero, z.sin(), z.cos(), zero, zero, zero, one)
    return (rz @ ry @ rx).transpose(1, 2)


def extract(model: torch.nn.Module, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """The motion extractor's outputs for [b, 3, H, W] in [0, 1]: angles in degrees, [b, K, 3] points."""
    out = model(image)
    b = image.shape[0]
    return {
        "angles": torch.stack([degrees(out[a]) for a in ("pitch", "yaw", "roll")], dim=-1),
        "kp": out["kp"].view(b, -1, 3), "exp": out["exp"].view(b, -1, 3),
        "scale": out["scale"].view(b, 1, 1), "t": out["t"].view(b, 1, 3),
    }  # fmt: skip


def keypoints(canonical: torch.Tensor, angles: torch.Tensor, exp: torch.Tensor, scale: torch.Tensor,
              t: torch.Tensor) -> torch.Tensor:  # fmt: skip
    r = rotation(angles[:, 0], angles[:, 1], angles[:, 2])
    return scale * (canonical @ r + exp) + t * torch.tensor([1.0, 1.0, 0.0], dtype=t.dtype, device=t.device)


def relative(source: dict[str, torch.Tensor], first: dict[str, torch.Tensor], now: dict[str, torch.Tensor],
             expression: float = 1.0, head: float = 1.0) -> torch.Tensor:  # fmt: skip
    """The source's driving keypoints: its own moved by the driver's change from `first` to `now`."""
    angles = source["angles"] + head * (now["angles"] - first["angles"])
    exp = source["exp"] + expression * (now["exp"] - first["exp"])
    scale = source["scale"] * (1 + head * (now["scale"] / first["scale"] - 1))
    t = source["t"] + head * (now["t"] - first["t"])
    return keypoints(source["kp"], angles, exp, scale, t)


def own(info: dict[str, torch.Tensor]) -> torch.Tensor:
    """A face's own keypoints (the warp's source side)."""
    return keypoints(info["kp"], info["angles"], info["exp"], info["scale"], info["t"])
