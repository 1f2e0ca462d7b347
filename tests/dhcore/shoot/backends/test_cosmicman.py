"""cosmicman on tiny random SDXL weights: the prompt and seed steer the portrait, metadata is complete."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.shoot.backends import BACKENDS
from dhcore.shoot.backends.cosmicman import CosmicManBackend, CosmicManParams

FAST = CosmicManParams(steps=3, device="cpu")  # "auto" would pick a GPU where there is one
PROMPT = "a headshot of a smiling woman in a red coat, studio light"


def test_prompt_look_portrait_with_metadata(
    cosmicman_installed: Path, make_inputs, read_png, tmp_path: Path
) -> None:
    backend = BACKENDS["cosmicman"]()
    assert backend.model_ids(FAST) == ["cosmicman_sdxl"]
    assert (backend.supports_prompts, backend.supports_templates) == (True, False)

    def run(name: str, prompt: str = PROMPT, seed: int = 5, negative: str | None = None) -> np.ndarray:
        out = tmp_path / f"{name}.png"
        inputs = make_inputs(prompt=prompt, negative_prompt=negative, seed=seed, width=40, height=32)
        result = backend.generate(inputs, FAST, out)
        meta = result.outputs["image"].meta
        assert (meta["prompt"], meta["negative_prompt"], meta["seed"]) == (prompt, negative or "", seed)
        assert (meta["steps"], meta["guidance_scale"], meta["scheduler"]) == (3, 7.5, "euler_a")
        assert result.warnings == [] and result.metrics["generate_seconds"] > 0
        return read_png(out)

    first = run("a")
    assert first.shape == (32, 40, 3) and first.std() > 1
    assert np.array_equal(first, run("a_again"))
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "a_again.png").read_bytes()
    assert np.abs(first - run("seed", seed=6)).mean() > 5.0
    other_prompt = run("prompt", prompt="a man in a blue suit, outdoor")
    assert (first != other_prompt).mean() > 0.3
    negative = run("negative", negative="a blue dress")
    assert (first != negative).mean() > 0.3


def test_long_prompt_is_reported_and_missing_prompt_is_an_error(
    cosmicman_installed: Path, make_inputs, tmp_path: Path
) -> None:
    backend, out = CosmicManBackend(), tmp_path / "x.png"
    long_prompt = " ".join(["portrait"] * 90)
    result = backend.generate(make_inputs(prompt=long_prompt), CosmicManParams(steps=1, device="cpu"), out)
    assert result.warnings == ["the prompt is 90 tokens long; the text encoders read only the first 75"]
    with pytest.raises(InputError, match="this look has no prompt"):
        backend.generate(make_inputs(template=tmp_path / "t.png"), FAST, tmp_path / "y.png")
    with pytest.raises(InputError, match=r"height 100 -> 96 or 104"):
        backend.generate(make_inputs(prompt=PROMPT, height=100), FAST, tmp_path / "y.png")
    assert not (tmp_path / "y.png").exists()


def test_params_defaults_follow_the_authors_demo() -> None:
    assert CosmicManParams().model_dump() == {
        "steps": 30, "guidance_scale": 7.5, "scheduler": "euler_a", "device": "auto", "dtype": "auto",
    }  # fmt: skip
    with pytest.raises(ValueError, match="scheduler"):
        CosmicManParams(scheduler="plms")  # type: ignore[arg-type]
