"""Architecture settings of the Animate Anyone family and what differs between the three releases.

The UNet shape comes from the SD1.5 / sd-image-variations `unet/config.json` (both have the same
architecture); everything else that differs between Moore-AnimateAnyone, MusePose and Champ is
small enough to list here (see the reference ARCHITECTURE.md, section 11).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dhcore.errors import ModelError

SD_DOWN_BLOCKS = ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D")
SD_UP_BLOCKS = ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D")
GUIDANCE_TYPES = ("depth", "normal", "semantic_map", "dwpose")
VAE_SCALE = 0.18215


@dataclass(frozen=True)
class UNetConfig:
    """The SD1.5 UNet hyper-parameters both UNets are built from (full size or tiny)."""

    block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280)
    layers_per_block: int = 2
    #: diffusers' `attention_head_dim` of SD1.5 is really the number of heads (8)
    heads: int = 8
    cross_attention_dim: int = 768
    norm_num_groups: int = 32
    norm_eps: float = 1e-5
    in_channels: int = 4
    out_channels: int = 4
    flip_sin_to_cos: bool = True
    freq_shift: int = 0

    @classmethod
    def from_dict(cls, cfg: dict[str, Any], source: str = "UNet config") -> UNetConfig:
        down = tuple(cfg.get("down_block_types", SD_DOWN_BLOCKS))
        up = tuple(cfg.get("up_block_types", SD_UP_BLOCKS))
        if down != SD_DOWN_BLOCKS or up != SD_UP_BLOCKS:
            raise ModelError(f"{source}: not an SD1.5-layout UNet (down {list(down)}, up {list(up)})")
        heads = cfg.get("num_attention_heads") or cfg.get("attention_head_dim", 8)
        if not isinstance(heads, int):
            raise ModelError(f"{source}: per-block head counts are not supported ({heads})")
        try:
            return cls(
                block_out_channels=tuple(int(c) for c in cfg["block_out_channels"]),
                layers_per_block=int(cfg.get("layers_per_block", 2)),
                heads=int(heads),
                cross_attention_dim=int(cfg["cross_attention_dim"]),
                norm_num_groups=int(cfg.get("norm_num_groups", 32)),
                norm_eps=float(cfg.get("norm_eps", 1e-5)),
                in_channels=int(cfg.get("in_channels", 4)),
                out_channels=int(cfg.get("out_channels", 4)),
                flip_sin_to_cos=bool(cfg.get("flip_sin_to_cos", True)),
                freq_shift=int(cfg.get("freq_shift", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{source}: incomplete or invalid UNet config ({exc})") from exc

    @classmethod
    def from_json(cls, path: Path) -> UNetConfig:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the UNet config ({exc})") from exc
        return cls.from_dict(data, source=str(path))

    def to_diffusers(self) -> dict[str, Any]:
        """Arguments of diffusers' UNet2DConditionModel for the same architecture."""
        return {
            "in_channels": self.in_channels, "out_channels": self.out_channels,
            "block_out_channels": list(self.block_out_channels), "layers_per_block": self.layers_per_block,
            "attention_head_dim": self.heads, "cross_attention_dim": self.cross_attention_dim,
            "norm_num_groups": self.norm_num_groups, "norm_eps": self.norm_eps,
            "flip_sin_to_cos": self.flip_sin_to_cos, "freq_shift": self.freq_shift,
            "down_block_types": list(SD_DOWN_BLOCKS), "up_block_types": list(SD_UP_BLOCKS),
        }  # fmt: skip


@dataclass(frozen=True)
class MotionConfig:
    """AnimateDiff v2 motion modules as configured by all three inference YAMLs."""

    heads: int = 8
    #: rows of the sinusoid table `pos_encoder.pe`: the longest window the modules accept
    max_len: int = 32
    groups: int = 32  # GroupNorm groups, hard-coded in the reference code


@dataclass(frozen=True)
class Release:
    """One public release: its checkpoint files and the settings its scripts use."""

    name: str
    model_id: str
    #: file name -> what it holds ("pose_guider" | "guidance:<type>")
    condition_files: dict[str, str]
    beta_schedule: str
    motion_max_len: int
    #: MusePose's loader drops the `pe` tables of motion_module.pth and recomputes them
    pe_from_file: bool
    #: how the reference scripts place context windows (True: wrap the last one around)
    reference_closed_loop: bool
    window: int
    overlap: int
    steps: int
    guidance_scale: float = 3.5
    unet_files: tuple[str, ...] = ("denoising_unet.pth", "reference_unet.pth", "motion_module.pth")
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> tuple[str, ...]:
        return self.unet_files + tuple(self.condition_files)

    @property
    def motion(self) -> MotionConfig:
        return MotionConfig(max_len=self.motion_max_len)

    def scheduler_kwargs(self) -> dict[str, Any]:
        """DDIMScheduler arguments exactly as the release's inference script passes them."""
        return {
            "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": self.beta_schedule,
            "clip_sample": False, "steps_offset": 1, "prediction_type": "v_prediction",
            "rescale_betas_zero_snr": True, "timestep_spacing": "trailing",
        }  # fmt: skip


MOORE = Release(
    name="moore_aa",
    model_id="moore_animate_anyone",
    condition_files={"pose_guider.pth": "pose_guider"},
    beta_schedule="linear",
    motion_max_len=32,
    pe_from_file=True,
    reference_closed_loop=True,
    window=24,
    overlap=4,
    steps=30,
)
MUSEPOSE = Release(
    name="musepose",
    model_id="musepose",
    condition_files={"pose_guider.pth": "pose_guider"},
    beta_schedule="scaled_linear",
    motion_max_len=128,
    pe_from_file=False,
    reference_closed_loop=False,
    window=48,
    overlap=4,
    steps=20,
)
CHAMP = Release(
    name="champ",
    model_id="champ",
    condition_files={f"guidance_encoder_{t}.pth": f"guidance:{t}" for t in GUIDANCE_TYPES},
    beta_schedule="linear",
    motion_max_len=32,
    pe_from_file=True,
    reference_closed_loop=True,
    window=24,
    overlap=4,
    steps=20,
)
RELEASES = {r.name: r for r in (MOORE, MUSEPOSE, CHAMP)}
