"""LivePortrait's four networks, written for dh in the release's module names (the state-dict keys).

appearance: photo -> a 3-D feature volume; motion: photo -> canonical keypoints, head pose bins,
expression offsets, scale and shift; warping: the volume moved from the source's keypoints to the
driving ones (a dense 3-D flow from per-keypoint motions, plus an occlusion map); generator: the
warped features -> a picture (SPADE blocks, twice the volume's size per axis times the upscale).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


@dataclass(frozen=True)
class Config:
    """The release's sizes by default (models.yaml); tests build a tiny one."""

    block_expansion: int = 64
    max_features: int = 512
    down_blocks: int = 2
    reshape_channel: int = 32
    resblocks: int = 6
    num_kp: int = 21
    num_bins: int = 66
    depths: tuple[int, ...] = (3, 3, 9, 3)
    dims: tuple[int, ...] = (96, 192, 384, 768)
    motion_expansion: int = 32
    motion_max_features: int = 1024
    motion_blocks: int = 5
    compress: int = 4
    spade_hidden: int = 128
    out_channels: int = 64
    upscale: int = 2
    #: the square input photo's side
    size: int = 256

    @property
    def reshape_depth(self) -> int:
        return self.max_features // self.reshape_channel

    @property
    def features(self) -> int:
        return min(self.max_features, self.block_expansion * 2**self.down_blocks)


def _grid(d: int, h: int, w: int, ref: torch.Tensor) -> torch.Tensor:
    """[d, h, w, 3] (x, y, z) in [-1, 1], grid_sample's order."""
    axes = [torch.linspace(-1, 1, n, dtype=ref.dtype, device=ref.device) for n in (d, h, w)]
    z, y, x = torch.meshgrid(*axes, indexing="ij")
    return torch.stack([x, y, z], dim=-1)


class SameBlock2d(nn.Module):
    def __init__(self, cin: int, cout: int, lrelu: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm = nn.BatchNorm2d(cout)
        self.ac = nn.LeakyReLU() if lrelu else nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ac(self.norm(self.conv(x)))


class DownBlock2d(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(F.relu(self.norm(self.conv(x))), 2)


class Block3d(nn.Module):
    """conv + batch norm + relu on a volume, halving (down) or doubling (up) its height and width."""

    def __init__(self, cin: int, cout: int, up: bool) -> None:
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 3, padding=1)
        self.norm = nn.BatchNorm3d(cout)
        self.up = up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.up:
            return F.relu(self.norm(self.conv(F.interpolate(x, scale_factor=(1, 2, 2)))))
        return F.avg_pool3d(F.relu(self.norm(self.conv(x))), (1, 2, 2))


class ResBlock3d(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv3d(channels, channels, 3, padding=1)
        self.norm1 = nn.BatchNorm3d(channels)
        self.norm2 = nn.BatchNorm3d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.norm2(self.conv1(F.relu(self.norm1(x))))))


class AppearanceFeatureExtractor(nn.Module):
    def __init__(self, c: Config) -> None:
        super().__init__()
        be, mf = c.block_expansion, c.max_features
        self.first = SameBlock2d(3, be)
        sizes = [min(mf, be * 2**i) for i in range(c.down_blocks + 1)]
        self.down_blocks = nn.ModuleList(DownBlock2d(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        self.second = nn.Conv2d(sizes[-1], mf, 1)
        self.resblocks_3d = nn.Sequential()
        for i in range(c.resblocks):
            self.resblocks_3d.add_module(f"3dr{i}", ResBlock3d(c.reshape_channel))
        self.shape = (c.reshape_channel, c.reshape_depth)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.first(image)
        for block in self.down_blocks:
            x = block(x)
        x = self.second(x)
        return self.resblocks_3d(x.view(x.shape[0], *self.shape, *x.shape[2:]))


class ChannelsFirstNorm(nn.Module):
    """Layer norm over the channel axis of an NCHW tensor."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x.permute(0, 2, 3, 1), self.weight.shape, self.weight, self.bias, 1e-6).permute(
            0, 3, 1, 2
        )


class GRN(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, 1, 1, dim))
        self.beta = nn.Parameter(torch.zeros(1, 1, 1, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = torch.norm(x, p=2, dim=(1, 2), keepdim=True)
        return self.gamma * (x * (g / (g.mean(dim=-1, keepdim=True) + 1e-6))) + self.beta + x


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.grn = GRN(4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        y = self.pwconv2(self.grn(F.gelu(self.pwconv1(y))))
        return x + y.permute(0, 3, 1, 2)


class KeypointDetector(nn.Module):
    """ConvNeXt-V2 with LivePortrait's heads: keypoints, pose bins, shift, expression, scale."""

    def __init__(self, c: Config) -> None:
        super().__init__()
        d = c.dims
        self.downsample_layers = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(3, d[0], 4, stride=4), ChannelsFirstNorm(d[0]))]
        )
        for a, b in zip(d, d[1:], strict=False):
            self.downsample_layers.append(nn.Sequential(ChannelsFirstNorm(a), nn.Conv2d(a, b, 2, stride=2)))
        self.stages = nn.ModuleList(
            nn.Sequential(*(ConvNeXtBlock(dim) for _ in range(n))) for dim, n in zip(d, c.depths, strict=True)
        )
        self.norm = nn.LayerNorm(d[-1], eps=1e-6)
        self.fc_kp = nn.Linear(d[-1], 3 * c.num_kp)
        self.fc_scale = nn.Linear(d[-1], 1)
        self.fc_pitch = nn.Linear(d[-1], c.num_bins)
        self.fc_yaw = nn.Linear(d[-1], c.num_bins)
        self.fc_roll = nn.Linear(d[-1], c.num_bins)
        self.fc_t = nn.Linear(d[-1], 3)
        self.fc_exp = nn.Linear(d[-1], 3 * c.num_kp)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for down, stage in zip(self.downsample_layers, self.stages, strict=True):
            x = stage(down(x))
        x = self.norm(x.mean((-2, -1)))
        heads = ("kp", "scale", "pitch", "yaw", "roll", "t", "exp")
        return {h: getattr(self, f"fc_{h}")(x) for h in heads}


class MotionExtractor(nn.Module):
    def __init__(self, c: Config) -> None:
        super().__init__()
        self.detector = KeypointDetector(c)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.detector(x)


class Hourglass(nn.Module):
    def __init__(self, be: int, cin: int, blocks: int, mf: int) -> None:
        super().__init__()
        outs = [min(mf, be * 2 ** (i + 1)) for i in range(blocks)]
        self.encoder = nn.Module()
        self.encoder.down_blocks = nn.ModuleList(
            Block3d(a, b, up=False) for a, b in zip([cin, *outs], outs, strict=False)
        )
        self.decoder = nn.Module()
        ups = []
        for i in reversed(range(blocks)):
            ups.append(Block3d((1 if i == blocks - 1 else 2) * outs[i], min(mf, be * 2**i), up=True))
        self.decoder.up_blocks = nn.ModuleList(ups)
        self.out_filters = be + cin
        self.decoder.conv = nn.Conv3d(self.out_filters, self.out_filters, 3, padding=1)
        self.decoder.norm = nn.BatchNorm3d(self.out_filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [x]
        for block in self.encoder.down_blocks:
            skips.append(block(skips[-1]))
        out = skips.pop()
        for block in self.decoder.up_blocks:
            out = torch.cat([block(out), skips.pop()], dim=1)
        return F.relu(self.decoder.norm(self.decoder.conv(out)))


class DenseMotionNetwork(nn.Module):
    """A softmax mix, per voxel, of the identity and the K keypoint-driven motions, and an occlusion map."""

    def __init__(self, c: Config) -> None:
        super().__init__()
        k = c.num_kp
        self.hourglass = Hourglass(
            c.motion_expansion, (k + 1) * (c.compress + 1), c.motion_blocks, c.motion_max_features
        )
        self.mask = nn.Conv3d(self.hourglass.out_filters, k + 1, 7, padding=3)
        self.compress = nn.Conv3d(c.reshape_channel, c.compress, 1)
        self.norm = nn.BatchNorm3d(c.compress)
        self.occlusion = nn.Conv2d(self.hourglass.out_filters * c.reshape_depth, 1, 7, padding=3)

    def forward(
        self, feature: torch.Tensor, kp_driving: torch.Tensor, kp_source: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        feature = F.relu(self.norm(self.compress(feature)))
        b, c, d, h, w = feature.shape
        k = kp_source.shape[1]
        grid = _grid(d, h, w, feature)  # [d, h, w, 3]
        moved = grid[None, None] - kp_driving[:, :, None, None, None] + kp_source[:, :, None, None, None]
        motions = torch.cat([grid[None, None].expand(b, 1, d, h, w, 3), moved], dim=1)  # [b, k+1, d, h, w, 3]
        repeated = feature[:, None].expand(b, k + 1, c, d, h, w).reshape(b * (k + 1), c, d, h, w)
        deformed = F.grid_sample(repeated, motions.reshape(b * (k + 1), d, h, w, 3), align_corners=False)
        deformed = deformed.view(b, k + 1, c, d, h, w)

        def gaussians(kp: torch.Tensor) -> torch.Tensor:
            return torch.exp(-0.5 * ((grid[None, None] - kp[:, :, None, None, None]) ** 2).sum(-1) / 0.01)

        heat = gaussians(kp_driving) - gaussians(kp_source)
        heat = torch.cat([heat.new_zeros(b, 1, d, h, w), heat], dim=1)[:, :, None]
        prediction = self.hourglass(torch.cat([heat, deformed], dim=2).view(b, -1, d, h, w))
        mask = F.softmax(self.mask(prediction), dim=1)  # [b, k+1, d, h, w]
        deformation = (motions * mask[..., None]).sum(dim=1)  # [b, d, h, w, 3]
        occlusion = torch.sigmoid(self.occlusion(prediction.reshape(b, -1, h, w)))
        return deformation, occlusion


class WarpingNetwork(nn.Module):
    def __init__(self, c: Config) -> None:
        super().__init__()
        self.dense_motion_network = DenseMotionNetwork(c)
        out = c.block_expansion * 2**c.down_blocks
        self.third = SameBlock2d(c.max_features, out, lrelu=True)
        self.fourth = nn.Conv2d(out, out, 1)

    def forward(
        self, feature: torch.Tensor, kp_driving: torch.Tensor, kp_source: torch.Tensor
    ) -> torch.Tensor:
        deformation, occlusion = self.dense_motion_network(feature, kp_driving, kp_source)
        out = F.grid_sample(feature, deformation, align_corners=False)
        out = self.fourth(self.third(out.flatten(1, 2)))
        return out * occlusion


class SPADE(nn.Module):
    def __init__(self, channels: int, label: int, hidden: int) -> None:
        super().__init__()
        self.mlp_shared = nn.Sequential(nn.Conv2d(label, hidden, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, channels, 3, padding=1)
        self.mlp_beta = nn.Conv2d(hidden, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        actv = self.mlp_shared(F.interpolate(seg, size=x.shape[2:], mode="nearest"))
        return F.instance_norm(x) * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)


class SPADEResnetBlock(nn.Module):
    def __init__(self, fin: int, fout: int, label: int, hidden: int) -> None:
        super().__init__()
        middle = min(fin, fout)
        self.conv_0 = spectral_norm(nn.Conv2d(fin, middle, 3, padding=1))
        self.conv_1 = spectral_norm(nn.Conv2d(middle, fout, 3, padding=1))
        self.norm_0 = SPADE(fin, label, hidden)
        self.norm_1 = SPADE(middle, label, hidden)
        self.learned_shortcut = fin != fout
        if self.learned_shortcut:
            self.conv_s = spectral_norm(nn.Conv2d(fin, fout, 1, bias=False))
            self.norm_s = SPADE(fin, label, hidden)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        short = self.conv_s(self.norm_s(x, seg)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 0.2))
        return short + self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 0.2))


class SPADEDecoder(nn.Module):
    def __init__(self, c: Config) -> None:
        super().__init__()
        f, hid = c.features, c.spade_hidden
        self.fc = nn.Conv2d(f, 2 * f, 3, padding=1)
        for i in range(6):
            setattr(self, f"G_middle_{i}", SPADEResnetBlock(2 * f, 2 * f, f, hid))
        self.up_0 = SPADEResnetBlock(2 * f, f, f, hid)
        self.up_1 = SPADEResnetBlock(f, c.out_channels, f, hid)
        if c.upscale > 1:
            self.conv_img = nn.Sequential(nn.Conv2d(c.out_channels, 3 * 4, 3, padding=1), nn.PixelShuffle(2))
        else:
            self.conv_img = nn.Conv2d(c.out_channels, 3, 3, padding=1)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        x = self.fc(feature)
        for i in range(6):
            x = getattr(self, f"G_middle_{i}")(x, feature)
        x = self.up_1(
            F.interpolate(self.up_0(F.interpolate(x, scale_factor=2), feature), scale_factor=2), feature
        )
        return torch.sigmoid(self.conv_img(F.leaky_relu(x, 0.2)))


#: release file (under base_models/) -> the network it holds
NETWORKS = {
    "appearance_feature_extractor": AppearanceFeatureExtractor,
    "motion_extractor": MotionExtractor,
    "warping_module": WarpingNetwork,
    "spade_generator": SPADEDecoder,
}


class LivePortrait(nn.Module):
    def __init__(self, c: Config = Config()) -> None:
        super().__init__()
        self.config = c
        for name, network in NETWORKS.items():
            setattr(self, name, network(c))
