"""Parity of whole MimicMotion runs with the reference pipeline's goldens (tiny weights, CPU).

`golden_pipeline`: constant guidance 2, windows of 4 overlapping by 2, seed 42; `golden_pipeline_ramp`:
guidance ramp 1 -> 3, noise augmentation 0.02, overlap 1, seed 7. Both run our sampler with the
release's fusion (`anchor="all_windows"`) through the production loader. Tolerances: the README's
1e-3 for latents and frames of a run, 2e-4 for a single UNet call, except in the ramp run:

One of its UNet calls is ill-conditioned: the unconditional call of window 1 ([0, 4, 5, 6]) at step
1 (sigma 15.6). On the reference's own inputs the reference's float32 output is 5.1e-4 from the
float64 evaluation of the same network (2.5x the call tolerance; ours 5.3e-4 from it, 1.0e-3 from the
reference's), and moving its input by one float32 ulp moves our output by 1.9e-3. With guidance
2-2.5 on those frames the uncond prediction enters the Euler step with weight -1 to -1.5, and at
sigma 15.6 the step hands it almost 1:1 to the latents, which the last step (sigma 0.002) keeps.
So the run's final latents are decided by round-off at the 5e-3 level: moving the initial noise by
one ulp moves ours by 4.9e-3 (tested). We measured 4.7e-4 from the reference (7.1e-4 with two
threads), inside the README's 1e-3 by luck; the test holds them to `RAMP_LATENTS` = 1e-2, twice
that one-ulp spread, and checks the frames (which the VAE decoder contracts) at the README's 1e-3.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.mimicmotion.conditioning import clip_pixels, decode
from dhcore.animate.mimicmotion.pipeline import Components, RunSettings, prepare
from dhcore.animate.mimicmotion.sampler import SamplerSettings
from dhcore.animate.mimicmotion.schedule import KarrasEuler
from dhcore.animate.mimicmotion.windows import anchored_windows, fusion_weights

#: final latents of the ramp run: round-off alone moves them by ~5e-3 (module docstring)
RAMP_LATENTS = 1e-2
#: the ill-conditioned call of the ramp run: (step, window), unconditional rows
RAMP_ILL_CONDITIONED = (1, 1)
CASES = {
    "golden_pipeline": dict(seed=42, overlap=2, guidance=(2.0, 2.0), aug=0.0, chunk=8),
    "golden_pipeline_ramp": dict(seed=7, overlap=1, guidance=(1.0, 3.0), aug=0.02, chunk=4),
}


class ArrayPoses:
    def __init__(self, images: np.ndarray):
        self.array = images

    def images(self, frames):
        return self.array[frames]

    def forget(self, before: int) -> None:
        pass


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a.float() - b.float()).abs().max().item()


class Run:
    """One replay of a golden call, with every UNet output and every frame update recorded."""

    def __init__(self, parts: Components, tiny: Path, name: str, nudge_noise: bool = False):
        case = CASES[name]
        self.g = load_file(tiny / f"{name}.safetensors")
        self.meta = json.loads((tiny / f"{name}.json").read_text())
        self.image = self.g["intermediate.ref_image_uint8_after_roundtrip_HWC"].numpy()
        poses = ArrayPoses(self.g["input.pose_uint8_FCHW"].permute(0, 2, 3, 1).numpy())
        low, high = case["guidance"]
        settings = RunSettings(
            SamplerSettings(3, low, high, 4, case["overlap"], "all_windows"),
            seed=case["seed"],
            noise_aug_strength=case["aug"],
            decode_chunk=case["chunk"],
        )
        self.unet: dict[tuple[int, int], torch.Tensor] = {}
        self.updates: dict[int, list] = {}
        self.sampler = prepare(
            parts, self.image, poses, 9, settings,
            on_unet=lambda s, w, out: self.unet.__setitem__((s, w), out),
            on_update=lambda s, frames, guided, x, x_next: self.updates.setdefault(s, []).append(
                (frames, guided, x, x_next)
            ),
        )  # fmt: skip
        if nudge_noise:  # the initial noise one float32 ulp up (frame 0 is also the anchor)
            noise = self.sampler.noise
            noise.tile = torch.nextafter(noise.tile, torch.full_like(noise.tile, torch.inf))
            self.sampler.anchor[0] = noise(0).clone()
        emitted = list(self.sampler.run())
        order = [f for f, _ in emitted]
        assert order == list(range(9))
        self.latents = torch.stack([lat for _, lat in emitted])[None]
        chunk = case["chunk"]
        self.frames = torch.cat(
            [decode(parts.vae, self.latents[0, i : i + chunk]) for i in range(0, 9, chunk)]
        )[None]

    def step(self, step: int, key: str) -> torch.Tensor:
        """Our per-frame tensor of `step` assembled into [1, 9, 4, h, w] (key: guided | in | out)."""
        out = torch.zeros_like(self.g[f"step{step}.latents_in"])
        index = {"guided": 1, "in": 2, "out": 3}[key]
        for frames, *tensors in self.updates[step]:
            out[0, frames] = tensors[index - 1]
        return out


@pytest.fixture(scope="module")
def runs(golden_parts: Components, tiny_dir: Path) -> dict[str, Run]:
    return {name: Run(golden_parts, tiny_dir, name) for name in CASES}


@pytest.mark.parametrize("name", list(CASES))
def test_parity_pipeline_conditioning(runs: dict[str, Run], name: str) -> None:
    run, g = runs[name], runs[name].g
    s = run.sampler
    if "intermediate.clip_pixel_values" in g:
        assert _max_diff(clip_pixels(run.image), g["intermediate.clip_pixel_values"]) < 1e-5
    assert _max_diff(s.context.reshape(1, -1), g["intermediate.clip_image_embeds"]) < 1e-5
    assert _max_diff(s.image_latent, g["intermediate.image_latents_mode"]) < 1e-4
    assert _max_diff(s.time_ids, g["intermediate.added_time_ids"]) == 0.0
    assert s.windows == run.meta["windows"] == anchored_windows(9, 4, CASES[name]["overlap"])
    assert fusion_weights(4) == g["intermediate.fusion_weight"].tolist()
    assert _max_diff(s.guidance.reshape(1, 9, 1, 1, 1), g["intermediate.guidance_scale"]) < 1e-6
    init = torch.stack([s.noise(f) for f in range(9)])[None]
    assert _max_diff(init, g["intermediate.init_latents"]) == 0.0  # the generator's draws, in order
    schedule = s.schedule
    assert _max_diff(schedule.sigmas, g["scheduler.sigmas"]) < 1e-6 * 700
    assert _max_diff(schedule.timesteps, g["scheduler.timesteps"]) < 1e-6
    assert s.unet_calls == len(s.windows) * 3  # uncond and cond in one call per window and step


@pytest.mark.parametrize("name", list(CASES))
def test_parity_pipeline_first_step(runs: dict[str, Run], name: str) -> None:
    """Step 0 starts from identical inputs: every window's UNet outputs within one call's tolerance."""
    run, g = runs[name], runs[name].g
    for w in range(len(run.sampler.windows)):
        out = run.unet[(0, w)]
        assert _max_diff(out[:1], g[f"step0.window{w}.unet_out_uncond"]) < 2e-4, w
        assert _max_diff(out[1:], g[f"step0.window{w}.unet_out_cond"]) < 2e-4, w
    assert _max_diff(run.step(0, "in"), g["step0.latents_in"]) == 0.0
    assert _max_diff(run.step(0, "guided"), g["step0.noise_pred_guided"]) < 2e-4
    # latents of up to ~2500 at sigma 700: one float32 ulp is 2.4e-4
    assert _max_diff(run.step(0, "out"), g["step0.latents_out"]) < 1e-3


def test_parity_pipeline_run(runs: dict[str, Run]) -> None:
    run, g = runs["golden_pipeline"], runs["golden_pipeline"].g
    for (step, w), out in run.unet.items():
        assert _max_diff(out[:1], g[f"step{step}.window{w}.unet_out_uncond"]) < 1e-3, (step, w)
        assert _max_diff(out[1:], g[f"step{step}.window{w}.unet_out_cond"]) < 1e-3, (step, w)
    for step in range(3):
        assert _max_diff(run.step(step, "guided"), g[f"step{step}.noise_pred_guided"]) < 1e-3, step
        assert _max_diff(run.step(step, "out"), g[f"step{step}.latents_out"]) < 1e-3, step
    assert _max_diff(run.latents, g["output.final_latents"]) < 1e-3
    assert _max_diff(run.frames, g["output.frames"]) < 1e-3


def test_parity_pipeline_ramp_run(runs: dict[str, Run]) -> None:
    """Frames 1-3 leave step 1 through window 0 only, before the ill-conditioned call mixes in:
    README tolerance; final latents at the ramp's round-off bound, frames at the README's 1e-3."""
    run, g = runs["golden_pipeline_ramp"], runs["golden_pipeline_ramp"].g
    assert _max_diff(run.step(1, "out")[:, 1:4], g["step1.latents_out"][:, 1:4]) < 1e-3
    assert _max_diff(run.latents, g["output.final_latents"]) < RAMP_LATENTS
    assert _max_diff(run.frames, g["output.frames"]) < 1e-3


def test_parity_pipeline_ramp_run_is_decided_by_round_off(
    runs: dict[str, Run], golden_parts: Components, tiny_dir: Path
) -> None:
    """The initial noise moved by one float32 ulp moves the final latents by more than twice the
    README's 1e-3 (measured 4.9e-3), and stays within `RAMP_LATENTS` of the reference."""
    run, g = runs["golden_pipeline_ramp"], runs["golden_pipeline_ramp"].g
    nudged = Run(golden_parts, tiny_dir, "golden_pipeline_ramp", nudge_noise=True)
    assert _max_diff(nudged.latents, run.latents) > 2e-3
    assert _max_diff(nudged.latents, g["output.final_latents"]) < RAMP_LATENTS


def test_parity_ramp_unet_calls_from_the_reference_latents(golden_parts: Components, tiny_dir: Path) -> None:
    """Every unconditional UNet call of the ramp run, fed the reference's own latents of that step:
    within 2e-4 except the ill-conditioned one, whose reference output is more than the call
    tolerance away from the float64 evaluation (measured 5.1e-4) and whose output moves by more
    than the call tolerance for a one-ulp change of its input (measured 1.9e-3 on AVX2, 5.8e-4 on AVX-512)."""
    g = load_file(tiny_dir / "golden_pipeline_ramp.safetensors")
    windows = json.loads((tiny_dir / "golden_pipeline_ramp.json").read_text())["windows"]
    net, schedule = golden_parts.net, KarrasEuler(golden_parts.scheduler_config, 3)
    image = g["intermediate.image_latents_mode"].expand(4, -1, -1, -1)
    ctx = torch.zeros(1, 1, net.unet.config.cross_attention_dim)
    ids = g["intermediate.added_time_ids"]
    for step in range(3):
        x = g[f"step{step}.latents_in"][0]
        for w, frames in enumerate(windows):
            scaled = schedule.scale_input(x[frames], step)
            uncond = torch.cat([scaled, torch.zeros_like(image)], 1)[None]
            reference = g[f"step{step}.window{w}.unet_out_uncond"]
            with torch.no_grad():
                out = net(uncond, schedule.timesteps[step], ctx, ids)
            if (step, w) != RAMP_ILL_CONDITIONED:
                assert _max_diff(out, reference) < 2e-4, (step, w)
                continue
            assert _max_diff(out, reference) < 6e-3  # measured 3.6e-3 on AVX2 (Zen 3)
            with torch.no_grad():
                moved = net(
                    torch.nextafter(uncond, torch.full_like(uncond, torch.inf)),
                    schedule.timesteps[step],
                    ctx,
                    ids,
                )
                exact = copy.deepcopy(net).double()(
                    uncond.double(),
                    schedule.timesteps[step].double(),
                    ctx.double(),
                    ids.double(),
                )
            # one ulp moves it by more than the per-call tolerance (1.9e-3 on AVX2 CPUs, 5.8e-4 on AVX-512)
            assert _max_diff(moved, out) > 2e-4
            assert (reference.double() - exact).abs().max().item() > 2e-4
