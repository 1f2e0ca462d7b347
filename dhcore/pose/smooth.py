"""Stage `pose.smooth`: a One-Euro filter on every keypoint coordinate.

One-Euro (Casiez et al. 2012) low-passes each coordinate with a cutoff that rises with its
speed: still points lose their jitter, fast ones keep up. Coordinates are filtered in units of
the frame height (x * aspect, y), so `beta` is per (frame heights / s) and a setting means
the same at any resolution. Confidence-aware: a missing point (confidence under `min_confidence` or NaN)
stays missing, and the filter restarts when it reappears, so a point never drags from where
it was before a gap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from dhcore.pose import skeleton_tree as tree
from dhcore.pose.keypoints import PoseSequence
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "pose.smooth"
VERSION = "1"


class Params(StageParams):
    min_cutoff: float = Field(2.0, gt=0, description="Hz at rest: lower = smoother, more lag")
    beta: float = Field(60.0, ge=0, description="Hz of cutoff per frame-height/s of speed: higher = less lag")
    d_cutoff: float = Field(1.0, gt=0, description="Hz of the speed estimate's own low-pass")
    min_confidence: float = Field(0.3, ge=0, le=1)


def _alpha(cutoff: np.ndarray | float, rate: float) -> np.ndarray | float:
    tau = 1.0 / (2 * np.pi * cutoff)
    return 1.0 / (1.0 + tau * rate)


def one_euro(
    xy: np.ndarray, ok: np.ndarray, rate: float, min_cutoff: float, beta: float, d_cutoff: float
) -> np.ndarray:
    """Filter signals xy [F, ..., D] sampled at `rate` Hz; ok [F, ...] marks present samples.

    Returns the filtered signals with NaN where a sample is absent.
    """
    out = np.full(xy.shape, np.nan)
    prev = np.zeros(xy.shape[1:])
    prev_d = np.zeros(xy.shape[1:])
    have = np.zeros(ok.shape[1:], dtype=bool)
    a_d = _alpha(d_cutoff, rate)
    for i in range(xy.shape[0]):
        cur, v = xy[i], ok[i]
        cont = (v & have)[..., None]
        d = np.where(cont, (cur - prev) * rate, 0.0)
        ed = a_d * d + (1 - a_d) * prev_d
        a = _alpha(min_cutoff + beta * np.abs(ed), rate)
        filtered = np.where(cont, a * cur + (1 - a) * prev, cur)
        prev = np.where(v[..., None], filtered, prev)
        prev_d = np.where(cont, ed, 0.0)
        have = v
        out[i] = np.where(v[..., None], filtered, np.nan)
    return out


def smooth(pose: PoseSequence, params: Params) -> PoseSequence:
    pts = tree.flatten(pose)
    ok = tree.visible(pts, params.min_confidence)
    unit = np.array([pose.aspect, 1.0])
    xy = np.where(ok[..., None], pts[..., :2], 0.0) * unit
    filtered = one_euro(xy, ok, pose.fps, params.min_cutoff, params.beta, params.d_cutoff) / unit
    out = pts.copy()
    out[..., :2] = filtered
    out[..., 2] = np.where(ok, pts[..., 2], 0.0)
    smoothed = tree.unflatten(out, pose.width, pose.height, pose.fps)
    if pose.depth is None:
        return smoothed
    # depth (in image widths) filtered like x, so the limb order it gives does not flicker
    z_ok = ok[:, : pose.depth.shape[1]] & np.isfinite(pose.depth)
    z = np.where(z_ok, pose.depth, 0.0)[..., None] * pose.aspect
    depth = one_euro(z, z_ok, pose.fps, params.min_cutoff, params.beta, params.d_cutoff)[..., 0] / pose.aspect
    return smoothed.replace(depth=depth.astype(np.float32))


def jitter(pose: PoseSequence, min_confidence: float = 0.3) -> float:
    """Mean second difference (pixels/frame^2) over points present in three frames in a row."""
    pts = tree.flatten(pose)
    ok = tree.visible(pts, min_confidence)
    xy = pts[..., :2] * (pose.width, pose.height)
    if len(pose) < 3:
        return 0.0
    acc = np.linalg.norm(xy[2:] - 2 * xy[1:-1] + xy[:-2], axis=-1)
    both = ok[2:] & ok[1:-1] & ok[:-2]
    return float(acc[both].mean()) if both.any() else 0.0


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("pose", "pose"),),
    outputs=(port("pose", "pose"),),
    impl="dhcore.pose.smooth:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Smooth a PoseSequence file."""
    out_path = Path(out_dir) / "pose.npz"
    pose = PoseSequence.load(Path(inputs["pose"]))
    ctx.progress(0, len(pose))
    smoothed = smooth(pose, params)
    smoothed.save(out_path)
    ctx.progress(len(pose), len(pose))
    meta = {"width": pose.width, "height": pose.height, "fps": pose.fps, "frames": len(pose)}
    return StageResult(
        outputs={"pose": Output(path=Path(out_path), kind="pose", meta=meta)},
        metrics={
            "jitter_before_px": jitter(pose, params.min_confidence),
            "jitter_after_px": jitter(smoothed, params.min_confidence),
        },  # fmt: skip
        frames=len(pose),
    )
