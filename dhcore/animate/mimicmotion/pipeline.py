"""One MimicMotion run: reference image + pose frames -> RGB frames, streamed in order.

The generator draws as the release does (the noise-augmentation noise first, then one window of
initial latents), so a seed reproduces its numbers. Final latents are decoded `decode_chunk`
frames at a time (frame 0 included, as the release chunks them); frame 0 is then dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from diffusers import AutoencoderKLTemporalDecoder
from transformers import CLIPVisionModelWithProjection

from dhcore.animate.mimicmotion.conditioning import added_time_ids, clip_token, decode, image_latent
from dhcore.animate.mimicmotion.denoiser import MimicMotionNet
from dhcore.animate.mimicmotion.face_encoder import FaceEncoder
from dhcore.animate.mimicmotion.sampler import AnchoredSampler, PoseSource, SamplerSettings, TileNoise
from dhcore.animate.mimicmotion.schedule import KarrasEuler
from dhcore.stage import Progress, no_progress


@dataclass
class Components:
    net: MimicMotionNet
    vae: AutoencoderKLTemporalDecoder
    image_encoder: CLIPVisionModelWithProjection
    scheduler_config: dict
    #: StableAnimator's identity path: the UNet then has ID adapters and expects identity tokens
    face_encoder: FaceEncoder | None = None

    def modules(self) -> list[torch.nn.Module]:
        extra = [self.face_encoder] if self.face_encoder is not None else []
        return [self.net, self.vae, self.image_encoder, *extra]


@dataclass(frozen=True)
class RunSettings:
    sampler: SamplerSettings
    seed: int = 0
    fps_id: int = 7  # the release always passes fps 7 (SVD's micro-conditioning), whatever the output rate
    motion_bucket_id: int = 127
    noise_aug_strength: float = 0.0
    decode_chunk: int = 8


@dataclass
class RunStats:
    frames: int = 0
    windows: int = 0
    unet_calls: int = 0
    max_live_frames: int = 0


@torch.no_grad()
def context_tokens(parts: Components, image: np.ndarray, face: np.ndarray | None) -> torch.Tensor:
    """The UNet's context: the CLIP token, then (identity path) the face encoder's identity tokens
    made from the raw ArcFace embedding `face` [512] and that CLIP token."""
    clip = clip_token(parts.image_encoder, image)
    if parts.face_encoder is None:
        return clip
    if face is None:
        raise ValueError("the identity path needs the reference face's ArcFace embedding")
    p = next(parts.face_encoder.parameters())
    ids = parts.face_encoder(torch.as_tensor(face, dtype=p.dtype, device=p.device)[None], clip.to(p))
    return torch.cat([clip, ids.float().to(clip.device)], dim=1)


def prepare(
    parts: Components,
    image: np.ndarray,
    poses: PoseSource,
    frames: int,
    settings: RunSettings,
    face: np.ndarray | None = None,
    **hooks,
) -> AnchoredSampler:
    """The sampler for `frames` frames (frame 0 = the reference pose); image: RGB uint8 [H, W, 3]."""
    h, w = image.shape[0] // 8, image.shape[1] // 8
    gen = torch.Generator().manual_seed(settings.seed)
    aug = torch.randn((1, 3, *image.shape[:2]), generator=gen)
    tile = torch.randn((1, settings.sampler.window, parts.net.latent_channels, h, w), generator=gen)[0]
    schedule = KarrasEuler(parts.scheduler_config, settings.sampler.steps)
    strength = settings.noise_aug_strength
    return AnchoredSampler(
        net=parts.net,
        schedule=schedule,
        context=context_tokens(parts, image, face),
        image_latent=image_latent(parts.vae, image, strength, aug),
        time_ids=added_time_ids(settings.fps_id, settings.motion_bucket_id, strength),
        poses=poses,
        noise=TileNoise(tile, schedule.init_sigma),
        frames=frames,
        settings=settings.sampler,
        **hooks,
    )


def animate(
    parts: Components,
    image: np.ndarray,
    poses: PoseSource,
    frames: int,
    settings: RunSettings,
    device: torch.device,
    write: Callable[[np.ndarray], None],
    progress: Progress = no_progress,
    face: np.ndarray | None = None,
) -> RunStats:
    """Write `frames` output frames (RGB uint8 [n, H, W, 3] chunks); `poses` has frames + 1 images."""
    for module in parts.modules():
        module.to(device)
    done = [0]

    def tick(step: int, window: int, out: torch.Tensor) -> None:
        done[0] += 1
        progress(done[0], total)

    sampler = prepare(parts, image, poses, frames + 1, settings, face, on_unet=tick)
    if device.type != "cpu":  # used once, by prepare
        for module in (parts.image_encoder, parts.face_encoder):
            if module is not None:
                module.to("cpu")
    total = len(sampler.windows) * settings.sampler.steps
    pending: list[torch.Tensor] = []
    first = True

    def flush() -> None:
        nonlocal first
        rgb = (decode(parts.vae, torch.stack(pending)) * 255).round().to(torch.uint8)
        rgb = rgb.permute(0, 2, 3, 1).cpu().numpy()
        out = rgb[1:] if first else rgb  # frame 0 is the reference pose's frame
        first = False
        if len(out):
            write(out)
        pending.clear()

    for _, latent in sampler.run():
        pending.append(latent)
        if len(pending) == settings.decode_chunk:
            flush()
    if pending:
        flush()
    return RunStats(frames, len(sampler.windows), sampler.unet_calls, sampler.max_live_frames)
