"""The wavefront sampler: same numbers as denoising the whole video step by step, frames out in
order as soon as they are final, and memory that does not grow with the video length."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dhcore.animate.animate_anyone.config import MOORE
from dhcore.animate.animate_anyone.sampler import FrameNoise, SamplerSettings, WavefrontSampler
from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.animate.animate_anyone.windows import context_windows

SHAPE = (4, 2, 3)


class MixingDenoiser(nn.Module):
    """A cheap stand-in for the UNet3D that mixes frames inside a window (like motion modules),
    depends on the timestep, the context, the conditioning and the CFG half."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.5))
        self.calls: list[int] = []

    def forward(self, sample, t, context, feats, uncond=0):
        self.calls.append(sample.shape[0])
        mixed = torch.roll(sample, 1, dims=2) * 0.3 + sample.mean(dim=2, keepdim=True) * 0.1
        tt = (t.float() / 1000)[:, None, None, None, None]
        ctx = context.mean(dim=(1, 2))[:, None, None, None, None]
        return self.scale * sample + mixed + 0.05 * feats[:, :4] + tt * ctx


class IndexFeatures:
    """Conditioning that encodes the frame index, and remembers what it was asked."""

    def __init__(self) -> None:
        self.forgotten = 0
        self.asked: list[int] = []

    def features(self, frames):
        self.asked.extend(frames)
        assert min(frames) >= self.forgotten, "asked for a frame it said it would never need again"
        return torch.stack([torch.full(SHAPE, float(f) / 10) for f in frames], dim=1)

    def forget(self, before: int) -> None:
        self.forgotten = before


def reference_order(unet, frames: int, settings: SamplerSettings, noise: FrameNoise) -> torch.Tensor:
    """The releases' loop: every window at every step over the whole latent video."""
    sched = VDDIM(MOORE, settings.steps)
    latents = torch.stack([noise(f) for f in range(frames)], dim=1)  # [4, F, h, w]
    context = torch.ones(1, 1, 8)
    windows = context_windows(frames, settings.window, settings.overlap, settings.closed_loop)
    feats_all = IndexFeatures().features(list(range(frames)))
    for s in range(settings.steps):
        rows = 2 if settings.cfg else 1
        acc = torch.zeros(rows, *latents.shape)
        count = torch.zeros(frames)
        for w in windows:
            x, feats = latents[:, w][None], feats_all[:, w][None]
            t = torch.tensor([sched.timesteps[s]])
            ctx = context
            if settings.cfg:
                x, feats, t, ctx = (
                    x.repeat(2, 1, 1, 1, 1),
                    feats.repeat(2, 1, 1, 1, 1),
                    t.repeat(2),
                    torch.cat([0 * ctx, ctx]),
                )
            acc[:, :, w] += unet(x, t, ctx, feats, uncond=1 if settings.cfg else 0)
            count[w] += 1
        n = count[None, :, None, None]
        if settings.cfg:
            u, c = acc / n
            guided = u + settings.guidance_scale * (c - u)
        else:
            guided = acc[0] if settings.sum_without_cfg else acc[0] / n
        latents = sched.step(guided.transpose(0, 1), s, latents.transpose(0, 1)).transpose(0, 1)
    return latents


def run(frames: int, settings: SamplerSettings, seed: int = 5, mode: str = "per_frame"):
    unet = MixingDenoiser()
    cond = IndexFeatures()
    noise = FrameNoise(seed, frames, SHAPE, mode)
    sampler = WavefrontSampler(
        unet, VDDIM(MOORE, settings.steps), torch.ones(1, 1, 8), cond, noise, frames, settings
    )
    emitted = []
    calls_at_first = None
    for f, latent in sampler.run():
        if calls_at_first is None:
            calls_at_first = sampler.unet_calls
        emitted.append((f, latent))
    return sampler, emitted, calls_at_first, unet, cond


@pytest.mark.parametrize("cfg", [3.5, 1.0])
@pytest.mark.parametrize("closed_loop", [False, True])
@pytest.mark.parametrize("window_batch", [1, 3])
def test_wavefront_equals_step_by_step_order(cfg: float, closed_loop: bool, window_batch: int) -> None:
    settings = SamplerSettings(
        steps=4, guidance_scale=cfg, window=6, overlap=2, closed_loop=closed_loop, window_batch=window_batch
    )
    sampler, emitted, _, unet, _ = run(23, settings)
    assert [f for f, _ in emitted] == list(range(23))
    ours = torch.stack([x for _, x in emitted], dim=1)
    expected = reference_order(MixingDenoiser(), 23, settings, FrameNoise(5, 23, SHAPE))
    assert (ours - expected).abs().max() < 1e-5
    assert sampler.unet_calls == len(unet.calls)
    assert sum(b // (2 if settings.cfg else 1) for b in unet.calls) == len(sampler.windows) * settings.steps
    if window_batch > 1:
        assert max(unet.calls) > (2 if settings.cfg else 1)  # windows really were batched


def test_releases_no_cfg_sum_is_reproduced_only_on_request() -> None:
    base = SamplerSettings(steps=2, guidance_scale=1.0, window=6, overlap=2)
    summed = SamplerSettings(steps=2, guidance_scale=1.0, window=6, overlap=2, sum_without_cfg=True)
    mean_out = torch.stack([x for _, x in run(14, base)[1]], dim=1)
    sum_out = torch.stack([x for _, x in run(14, summed)[1]], dim=1)
    assert (
        sum_out - reference_order(MixingDenoiser(), 14, summed, FrameNoise(5, 14, SHAPE))
    ).abs().max() < 1e-5
    assert (mean_out - sum_out).abs().max() > 1e-3


def test_memory_is_bounded_by_the_schedule_not_the_length() -> None:
    settings = SamplerSettings(steps=5, guidance_scale=3.5, window=8, overlap=2)
    short, _, _, _, _ = run(120, settings)
    long_, emitted, first_at, _, cond = run(600, settings)
    assert long_.max_live_frames == short.max_live_frames
    assert (
        long_.max_live_frames <= (settings.steps + 2) * (settings.window - settings.overlap) + settings.window
    )
    # the first frame leaves long before the end, and nothing is asked for after it was forgotten
    assert first_at < long_.unet_calls / 10
    assert cond.forgotten == 600
    assert len(emitted) == 600


def test_closed_loop_keeps_everything_until_the_end() -> None:
    settings = SamplerSettings(steps=3, guidance_scale=3.5, window=8, overlap=2, closed_loop=True)
    sampler, emitted, first_at, _, _ = run(60, settings)
    assert [f for f, _ in emitted] == list(range(60))
    assert sampler.max_live_frames == 60 and first_at == sampler.unet_calls


def test_frame_noise_per_frame_does_not_depend_on_length() -> None:
    a, b = FrameNoise(3, 10, SHAPE), FrameNoise(3, 500, SHAPE)
    assert torch.equal(a(7), b(7)) and not torch.equal(a(7), a(8))
    assert not torch.equal(a(7), FrameNoise(4, 10, SHAPE)(7))
    ref = FrameNoise(42, 10, SHAPE, "reference")
    draw = torch.randn((1, 4, 10, 2, 3), generator=torch.Generator().manual_seed(42))
    assert torch.equal(torch.stack([ref(f) for f in range(10)], dim=1)[None], draw)


@pytest.mark.parametrize("frames", [1, 5, 6, 7, 10, 13, 14, 31, 100])
def test_open_windows_cover_every_frame_and_never_wrap(frames: int) -> None:
    windows = context_windows(frames, 6, 2)
    assert sorted(set(sum(windows, []))) == list(range(frames))
    for w in windows:
        assert w == list(range(w[0], w[0] + len(w)))  # contiguous: no wrap-around
        assert len(w) == min(6, frames)
    assert windows[0][0] == 0 and windows[-1][-1] == frames - 1
    starts = [w[0] for w in windows]
    assert all(b - a <= 4 for a, b in zip(starts, starts[1:], strict=False))


def test_window_placements_match_the_releases() -> None:
    assert context_windows(10, 6, 2, closed_loop=True) == [
        [0, 1, 2, 3, 4, 5],
        [4, 5, 6, 7, 8, 9],
        [8, 9, 0, 1, 2, 3],
    ]
    assert context_windows(8, 6, 2, closed_loop=True) == [[0, 1, 2, 3, 4, 5], [4, 5, 6, 7, 0, 1]]
    assert context_windows(10, 6, 2) == [[0, 1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 9]]
    # MusePose pads the poses so that frames - window is a multiple of window - overlap; its
    # rule (starts while < frames - overlap, modulo frames) then equals our open placement
    for k in range(5):
        frames = 48 + 44 * k
        musepose = [[(s + i) % frames for i in range(48)] for s in range(0, frames - 4, 44)]
        assert context_windows(frames, 48, 4) == musepose


def test_bad_window_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        context_windows(10, 4, 4)
    with pytest.raises(ValueError):
        context_windows(0, 4, 1)
