"""The wan_animate backend end to end on CPU: diffusers' WanAnimatePipeline loaded from a tiny
random folder in the release layout, segments chained across calls, frames streamed to a file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from dhcore.animate.base import AnimateInputs
from dhcore.animate.registry import get_backend
from dhcore.animate.wan_animate.params import WanAnimateParams
from dhcore.media.frames import iter_frames, probe

from .conftest import F, H, W


def inputs(root: Path, frames: int = F, **changes) -> AnimateInputs:
    base = dict(
        reference_image=root / "ref.png", reference_pose=root / "ref_pose.npz",
        target_pose=root / f"target_{frames}.npz", skeleton=root / f"skeleton_{frames}.nut",
        width=W, height=H, fps=Fraction(24), seed=3,
        driving_video=root / f"driving_{frames}.nut", driving_pose=root / f"driving_{frames}.npz",
    )  # fmt: skip
    return AnimateInputs(**{**base, **changes})


def tiny_params(**extra) -> WanAnimateParams:
    return WanAnimateParams(
        **{"steps": 2, "segment_frames": 9, "prompt": "a person dancing", "device": "cpu", **extra}
    )


def test_tiny_pipeline_runs_through_the_backend(workdir: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    out = workdir / "wan.nut"
    result = get_backend("wan_animate").run(
        inputs(workdir), tiny_params(), out, lambda d, t: seen.append((d, t))
    )
    info = probe(out)
    assert (info.width, info.height, info.frames) == (W, H, F)
    frames = np.concatenate(list(iter_frames(out)))
    assert frames.shape == (F, H, W, 3) and frames.std() > 1
    # segments of 9 sharing 1 frame: [0..8], [8..11] (the last padded by the pipeline)
    assert result.metrics["segments"] == 2 and result.metrics["transformer_calls"] == 4
    assert result.metrics["max_live_frames"] == 9
    assert seen[-1] == (4, 4) and [d for d, _ in seen] == [1, 2, 3, 4]
    assert not out.with_name(out.name + ".part").exists()
