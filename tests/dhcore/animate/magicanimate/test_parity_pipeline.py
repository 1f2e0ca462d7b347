"""Parity of the whole sampler with the reference's `golden_pipeline`: 32 frames (29 padded by
repeating the last), 3 DDIM steps, CFG 7.5, windows of 16 by 4 in a closed loop, tiled noise.

The README's 2e-3 for the whole run cannot be met by any float32 implementation that does not
repeat the reference's arithmetic bit for bit, because this tiny run is chaotic:

* Two of the nine UNet calls, both of window 0 (frames 0-15; step 0 conditional rows, step 1
  unconditional rows), are ill-conditioned. The amplifier is the first motion module of
  `down_blocks.3` (latent 1x2): its GroupNorm has one channel per group (tiny width 32, 32 groups)
  and normalises each frame's channel over its two positions; where those two values nearly
  coincide (variance 2e-7 at step 0, 1.3e-13 at step 1, against eps 1e-6) their difference is
  divided by ~1e-3, and d(output)/d(input of that module) jumps ~100x (measured by autograd in
  float64: 23 before it, 0.2 after it at step 0; the well-conditioned call 0.045 on both sides).
  Float32 round-off (one ulp, 1.2e-7 relative) upstream becomes ~1e-4 at the output: the
  reference's own outputs of these calls are 6.5e-4 and 3.8e-4 away from the float64 evaluation of
  the same network on the same inputs (the test below checks > 4x the step tolerance), ours 4.3e-4
  and 9.9e-5; the other seven calls agree with the reference within 4e-5 (golden vs float64
  <= 5.1e-5). The bank is not the cause (the reference's own step-0 bank gives the same 3.3e-4);
  window order, noise (bit-equal), timesteps and the fp16 bank cast are the release's, and the
  other calls, which share them, agree.
* CFG 7.5 multiplies the conditional error by 7.5, the DDIM step 667 -> 334 by 2.1, and the
  next steps run through the same amplifier: moving the initial noise by one float32 ulp moves our
  own final latents by 6.5e-2 (checked below: > 10x the README's 2e-3) and its decoded frames by
  2.9e-3. Our float32 run ends 0.19 from the golden (frames 4.1e-3); a run whose UNet calls are
  float64 (latents kept in float32 between steps) ends 0.19 from the golden and 6.6e-2 from ours.

So: every UNet call is checked against the reference on the reference's own inputs (5e-5, the two
ill-conditioned ones 5e-3), the end-to-end run (nothing substituted) is checked where its inputs
still agree with the reference's (step 0) and then within the chaos bound, and the rest of the
sampler (window order, overlap averaging, CFG, DDIM, decoding) is checked at the README's 2e-3 by a
run in which the two ill-conditioned calls return the reference's outputs (measured: final latents
7.3e-4, frames 2.3e-5).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.animate_anyone.conditioning import FrameStreams, decode_images, reference_latent
from dhcore.animate.animate_anyone.sampler import SamplerSettings
from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.animate.magicanimate.components import Components
from dhcore.animate.magicanimate.config import RELEASE
from dhcore.animate.magicanimate.controlnet import control_residuals
from dhcore.animate.magicanimate.sampler import AppearanceBanks, DensePoseControl, MagicSampler, TiledNoise
from dhcore.animate.magicanimate.text import empty_prompt_embedding

STEP, PIPELINE = 5e-5, 2e-3
#: (step, window) -> tolerance of the two ill-conditioned calls (measured 3.3e-4 and 2.8e-4 with AVX-512;
#: 3.3e-3 for (0, 0) on an AMD EPYC with AVX2, where MKL's kernels for that CPU round otherwise)
ILL_CONDITIONED = {(0, 0): 5e-3, (1, 0): 5e-3}
#: the run with nothing substituted, about 5x the spread of a one-ulp change of the initial noise:
#: final latents (measured 0.19 from the reference, one-ulp spread 6.5e-2) and decoded frames 0, 15,
#: 28 (measured 4.1e-3, one-ulp spread 2.9e-3)
CHAOTIC_LATENTS, CHAOTIC_FRAMES = 0.3, 1.5e-2
#: CFG multiplies a UNet call's error by up to 1 + 2 x 7.5
CFG_GAIN = 16
TIMESTEPS = [667, 334, 1]
WINDOWS = [list(range(16)), list(range(12, 28)), [*range(24, 32), *range(8)]]


def maxdiff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a.float() - b.float()).abs().max().item()


@pytest.fixture(scope="module")
def golden(tiny_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(tiny_dir / "golden_pipeline.safetensors")


@pytest.fixture(scope="module")
def control(golden: dict) -> np.ndarray:
    frames = golden["input.control_uint8_FHWC_before_padding"].numpy()
    return np.concatenate([frames, np.repeat(frames[-1:], 32 - len(frames), axis=0)])  # the script's padding


def _sampler(parts: Components, golden: dict, control: np.ndarray, **hooks: object) -> MagicSampler:
    text = empty_prompt_embedding(parts.text_encoder)
    ref = reference_latent(parts.vae, golden["input.source_uint8_HWC"].numpy())
    streams = FrameStreams({"densepose": (Path("golden"), iter([control]))}, (128, 64))
    return MagicSampler(
        parts.unet, VDDIM(RELEASE, 3), text, AppearanceBanks(parts.appearance, parts.unet, ref, text),
        DensePoseControl(parts.controlnet, streams, text), TiledNoise(1, (4, 8, 16), RELEASE.window), 32,
        SamplerSettings(3, 7.5, RELEASE.window, RELEASE.overlap, closed_loop=True), **hooks,  # type: ignore[arg-type]
    )  # fmt: skip


def _final_latents(sampler: MagicSampler) -> torch.Tensor:
    return torch.stack([latent for _, latent in sampler.run()], dim=1)[None]


def _step_latents(golden: dict, step: int) -> torch.Tensor:
    """The reference's latents [4, 32, h, w] at the start of `step`."""
    if step == 0:
        return golden["intermediate.init_latents_16"][0].repeat(1, 2, 1, 1)
    return golden[f"step{step - 1}.latents_out"][0]


@torch.no_grad()
def _window_call(
    parts: Components, golden: dict, control: np.ndarray, step: int, window: int, dtype: torch.dtype
) -> torch.Tensor:
    """One UNet call of the reference's loop (bank, ControlNet, UNet3D with CFG rows), computed in
    `dtype` from the reference's own inputs of that step."""
    t, frames = TIMESTEPS[step], WINDOWS[window]
    text = empty_prompt_embedding(parts.text_encoder).to(dtype)
    ref = reference_latent(parts.vae, golden["input.source_uint8_HWC"].numpy()).to(dtype)
    x = _step_latents(golden, step)[:, frames].transpose(0, 1).to(dtype)
    images = torch.from_numpy(control[frames]).permute(0, 3, 1, 2).to(dtype) / 255.0
    down, mid = control_residuals(parts.controlnet, x, t, text, images)
    parts.unet.reference.load(parts.appearance.bank(ref, t, text))
    try:
        return parts.unet(
            x.transpose(0, 1)[None].repeat(2, 1, 1, 1, 1), t, text.expand(2, -1, -1),
            [d.repeat(2, 1, 1, 1) for d in down], mid.repeat(2, 1, 1, 1), skip_reference_rows=16,
        )  # fmt: skip
    finally:
        parts.unet.reference.clear()


def test_parity_pipeline_noise_and_reference(golden_parts: Components, golden: dict) -> None:
    noise = TiledNoise(1, (4, 8, 16), 16)
    assert torch.equal(noise.draw, golden["intermediate.init_latents_16"][0])
    assert torch.equal(noise(20), noise(4))  # one draw of 16 frames, repeated
    ref = reference_latent(golden_parts.vae, golden["input.source_uint8_HWC"].numpy())
    assert maxdiff(ref, golden["intermediate.ref_image_latents"]) < 1e-5


def test_parity_pipeline_every_window_from_reference_inputs(
    golden_parts: Components, golden: dict, control: np.ndarray
) -> None:
    """Each UNet call of the reference, fed the reference's latents of its step."""
    parts, g = golden_parts, golden
    text = empty_prompt_embedding(parts.text_encoder)
    ref = reference_latent(parts.vae, g["input.source_uint8_HWC"].numpy())
    for name, tokens in parts.appearance.bank(ref, TIMESTEPS[0], text).items():
        assert maxdiff(tokens[0], g[f"step0.bank.{name}"][1]) < 2e-5, name  # 1.04e-5 on AVX2 (Zen 3)
    for step in range(3):
        for w in range(len(WINDOWS)):
            out = _window_call(parts, g, control, step, w, torch.float32)
            tolerance = ILL_CONDITIONED.get((step, w), STEP)
            assert maxdiff(out, g[f"step{step}.window{w}.unet_out"]) < tolerance, (step, w)


def test_parity_pipeline_ill_conditioned_calls_are_the_references_round_off(
    golden_parts: Components, golden: dict, control: np.ndarray
) -> None:
    """The same calls evaluated in float64 (exact for this purpose): the reference's float32
    outputs of the two ill-conditioned calls are farther from them than 4x the step tolerance,
    so nothing but the reference's own order of float32 operations reproduces them within it (ours
    are 4.3e-4 and 9.9e-5 from them); a well-conditioned call of the same step is within 1e-5
    (measured 3.4e-6)."""
    exact = copy.deepcopy(golden_parts)
    for module in exact.modules():
        module.double()
    for step, w in [*ILL_CONDITIONED, (0, 1)]:
        reference = golden[f"step{step}.window{w}.unet_out"]
        error = maxdiff(reference, _window_call(exact, golden, control, step, w, torch.float64))
        if (step, w) in ILL_CONDITIONED:
            assert error > 4 * STEP, (step, w, error)
        else:
            assert error < STEP / 5, (step, w, error)


@pytest.fixture(scope="module")
def plain_run(golden_parts: Components, golden: dict, control: np.ndarray) -> dict:
    """Our sampler end to end with nothing substituted: UNet outputs, guided noise, final latents."""
    record: dict = {"unet": {}, "guided": {}}

    def on_unet(step: int, window: int, out: torch.Tensor) -> None:
        record["unet"][(step, window)] = out.clone()

    def on_update(
        step: int, frames: list[int], pred: torch.Tensor, x: torch.Tensor, x_next: torch.Tensor
    ) -> None:
        record["guided"].setdefault(step, torch.zeros(32, 4, 8, 16))[frames] = pred

    sampler = _sampler(golden_parts, golden, control, on_unet=on_unet, on_update=on_update)
    assert sampler.windows == WINDOWS
    record["latents"] = _final_latents(sampler)
    assert sampler.banks.encoder_calls == 3 and sampler.control.calls == 9
    return record


def test_parity_pipeline_end_to_end(golden_parts: Components, golden: dict, plain_run: dict) -> None:
    """Nothing substituted. Step 0 starts from the reference's own noise, so its calls and guided
    noise are checked at the call tolerances (frames 16-31 come from well-conditioned calls only);
    after that the run is within the chaos bound of the module docstring."""
    g = golden
    assert sorted(plain_run["unet"]) == [(s, w) for s in range(3) for w in range(3)]
    for w in range(len(WINDOWS)):
        tolerance = ILL_CONDITIONED.get((0, w), STEP)
        assert maxdiff(plain_run["unet"][(0, w)], g[f"step0.window{w}.unet_out"]) < tolerance, w
    guided = plain_run["guided"][0]
    reference = g["step0.noise_pred_guided"][0].transpose(0, 1)
    assert maxdiff(guided[16:], reference[16:]) < CFG_GAIN * STEP
    assert maxdiff(guided[:16], reference[:16]) < CFG_GAIN * ILL_CONDITIONED[(0, 0)]
    latents = plain_run["latents"]
    assert maxdiff(latents, g["output.final_latents"]) < CHAOTIC_LATENTS
    video = decode_images(golden_parts.vae, latents[0].transpose(0, 1)[[0, 15, 28]])
    assert maxdiff(video.transpose(0, 1)[None], g["output.video_frames"]) < CHAOTIC_FRAMES


def test_parity_pipeline_is_chaotic(
    golden_parts: Components, golden: dict, control: np.ndarray, plain_run: dict
) -> None:
    """Moving the initial noise by one float32 ulp moves the final latents by more than 10x the
    README's 2e-3 (measured 6.5e-2): the README tolerance is below this run's round-off."""
    sampler = _sampler(golden_parts, golden, control)
    draw = sampler.noise.draw
    sampler.noise.draw = torch.nextafter(draw, torch.full_like(draw, torch.inf))
    assert maxdiff(sampler.noise.draw, draw) > 0
    assert maxdiff(_final_latents(sampler), plain_run["latents"]) > 10 * PIPELINE


def test_parity_pipeline_end_to_end_given_the_ill_conditioned_calls(
    golden_parts: Components, golden: dict, control: np.ndarray
) -> None:
    """The rest of the sampler at the README's tolerance: the same run, with the two
    ill-conditioned calls (checked on their own above) returning the reference's outputs."""
    g = golden
    calls: list[tuple[int, int]] = []
    guided: dict[int, torch.Tensor] = {}

    def on_unet(step: int, window: int, out: torch.Tensor) -> None:
        calls.append((step, window))
        if (step, window) in ILL_CONDITIONED:
            out.copy_(g[f"step{step}.window{window}.unet_out"])

    def on_update(
        step: int, frames: list[int], pred: torch.Tensor, x: torch.Tensor, x_next: torch.Tensor
    ) -> None:
        guided.setdefault(step, torch.zeros(32, 4, 8, 16))[frames] = pred

    sampler = _sampler(golden_parts, g, control, on_unet=on_unet, on_update=on_update)
    latents = _final_latents(sampler)
    assert sorted(calls) == [(s, w) for s in range(3) for w in range(3)]
    for step in range(3):
        assert maxdiff(guided[step], g[f"step{step}.noise_pred_guided"][0].transpose(0, 1)) < PIPELINE, step
    assert maxdiff(latents, g["output.final_latents"]) < PIPELINE
    video = decode_images(golden_parts.vae, latents[0].transpose(0, 1)[[0, 15, 28]])
    assert maxdiff(video.transpose(0, 1)[None], g["output.video_frames"]) < PIPELINE
