"""The MimicMotion denoiser: diffusers' SVD UNet with the pose features added after `conv_in`.

The release file holds exactly this module's state dict (`unet.*` then `pose_net.*`). diffusers'
`UNetSpatioTemporalConditionModel.forward` has no pose argument; instead of a copy of that
forward, a hook on `conv_in` adds the pose features for the duration of one call.
"""

from __future__ import annotations

import torch
from diffusers import UNetSpatioTemporalConditionModel
from torch import nn

from dhcore.animate.mimicmotion.pose_net import PoseNet


class MimicMotionNet(nn.Module):
    def __init__(self, unet_config: dict):
        super().__init__()
        self.unet = UNetSpatioTemporalConditionModel.from_config(unet_config)
        self.pose_net = PoseNet(self.unet.config.block_out_channels[0])

    @property
    def latent_channels(self) -> int:
        return self.unet.config.out_channels

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor,
        context: torch.Tensor,
        added_time_ids: torch.Tensor,
        pose_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """sample [B, F, 8, h, w] (scaled noisy latents | image latents), timestep [B] or scalar,
        context [B, 1, D], added_time_ids [B, 3], pose_features [B*F, C, h, w] or None -> [B, F, 4, h, w]."""
        if pose_features is None:
            return self.unet(sample, timestep, context, added_time_ids, return_dict=False)[0]
        handle = self.unet.conv_in.register_forward_hook(lambda _m, _i, out: out + pose_features)
        try:
            return self.unet(sample, timestep, context, added_time_ids, return_dict=False)[0]
        finally:
            handle.remove()
