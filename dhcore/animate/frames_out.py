"""How every diffusion backend hands its video over: frames streamed into a part file that is renamed only
when complete (no half-written asset), out-of-memory turned into advice, and one StageResult shape."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dhcore.errors import InputError
from dhcore.media.frames import FrameWriter
from dhcore.stage import Output, StageResult

Write = Callable[[np.ndarray], None]


def write_frames(
    backend: str,
    out_path: Path,
    fps: Fraction,
    size: tuple[int, int],
    frames: int,
    generate: Callable[[Write], Any],
    memory_advice: str,
    counters: Callable[[Any], dict[str, float]],
) -> StageResult:
    """Run `generate(write)` into out_path; `counters(stats)` are the backend's own figures.

    `memory_advice` completes "out of GPU memory at WxH ..." with what to lower.
    """
    width, height = size
    out_path = Path(out_path)
    tmp = out_path.with_name(out_path.name + ".part")
    start = time.perf_counter()
    try:
        with FrameWriter(tmp, fps, width, height) as writer:
            stats = generate(writer.write)
    except torch.OutOfMemoryError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{backend}: out of GPU memory at {width}x{height} {memory_advice}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out_path)
    seconds = time.perf_counter() - start
    meta = {"width": width, "height": height, "fps": str(fps), "frames": frames}
    return StageResult(
        outputs={"frames": Output(path=out_path, kind="frames", meta=meta)},
        metrics={
            "seconds": seconds,
            "frames_per_second": frames / seconds if seconds else 0.0,
            **counters(stats),
            "max_live_frames": float(stats.max_live_frames),
        },
        frames=frames,
    )
