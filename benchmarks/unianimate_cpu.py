"""CPU benchmark of the UniAnimate backend at the tiny architecture: frames/s and peak RSS.

Each video length runs in a fresh subprocess (peak RSS is per process), through the real backend:
a tiny random release installed in the release layout, a reference photo and its pose, a skeleton
frames file, frames streamed to a FrameWriter file. Target: peak RSS for 300 frames <= 1.1x that for 48.

    .venv/bin/python benchmarks/unianimate_cpu.py [--size 128x128] [--steps 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from fractions import Fraction
from pathlib import Path

from memory_runs import add_run_arguments, measure, print_ratio, run_lengths


def prepare(root: Path, width: int, height: int, frames: int) -> None:
    import cv2
    import numpy as np
    import torch

    from dhcore.animate.unianimate.components import load
    from dhcore.animate.unianimate.config import ARCHITECTURES
    from dhcore.animate.unianimate.tiny import install_tiny
    from dhcore.media.frames import FrameWriter
    from dhcore.pose.keypoints import PoseSequence

    os.environ["DH_MODELS_DIR"] = str(root / "models")
    load(
        ARCHITECTURES["tiny"], install_tiny(root / "download"), torch.float32
    )  # converts the .pth files once
    rng = np.random.default_rng(0)
    cv2.imwrite(str(root / "ref.png"), rng.integers(0, 255, (height + 40, width, 3), dtype=np.uint8))
    PoseSequence.empty(1, width, height + 40, 24.0).save(root / "ref_pose.npz")
    with FrameWriter(root / "skeleton.nut", 24, width, height) as writer:
        for _ in range(0, frames, 16):
            writer.write(rng.integers(0, 255, (16, height, width, 3), dtype=np.uint8))


def child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    from dhcore.animate.base import AnimateInputs
    from dhcore.animate.unianimate.backend import UniAnimateBackend, UniAnimateParams
    from dhcore.pose.keypoints import PoseSequence

    root = Path(args.root)
    os.environ["DH_MODELS_DIR"] = str(root / "models")
    target = root / f"target_{args.frames}.npz"
    PoseSequence.empty(args.frames, args.width, args.height, 24.0).save(target)
    inputs = AnimateInputs(reference_image=root / "ref.png", reference_pose=root / "ref_pose.npz",
                           target_pose=target, skeleton=root / "skeleton.nut", width=args.width,
                           height=args.height, fps=Fraction(24))  # fmt: skip
    params = UniAnimateParams(architecture="tiny", steps=args.steps, window=args.window, overlap=args.overlap,
                              device="cpu")  # fmt: skip
    measure(
        args.frames,
        lambda progress: UniAnimateBackend().run(inputs, params, root / f"out_{args.frames}.nut", progress),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="128x128", help="WxH, multiples of 64")
    parser.add_argument("--steps", type=int, default=2, help="the release's ddim_timesteps (not 3: t = 999)")
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--overlap", type=int, default=4)
    add_run_arguments(parser)
    args = parser.parse_args()
    args.width, args.height = (int(v) for v in args.size.lower().split("x"))
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="unianimate_cpu_bench_") as tmp:
        root = Path(tmp)
        prepare(root, args.width, args.height, max(args.lengths))
        rows = run_lengths(__file__, root, args.lengths, [
            "--size", args.size, "--steps", str(args.steps), "--window", str(args.window),
            "--overlap", str(args.overlap), "--threads", str(args.threads)
        ])  # fmt: skip
    print(f"tiny architecture, {args.width}x{args.height}, ddim_timesteps {args.steps}, window "
          f"{args.window}/{args.overlap}, guidance 2.5, {args.threads} thread(s), CPU")  # fmt: skip
    print(f"{'frames':>6} {'wall s':>8} {'frames/s':>9} {'unet calls':>10} {'live frames':>11} {'peak RSS MB':>12} "
          f"{'RSS while generating MB':>24}")  # fmt: skip
    for r in rows:
        print(f"{r['frames']:>6} {r['wall_s']:>8.1f} {r['frames_per_second']:>9.2f} {r['unet_calls']:>10.0f} "
              f"{r['max_live_frames']:>11.0f} {r['rss_mb']:>12.1f} {r['gen_rss_mb']:>24.1f}")  # fmt: skip
    print_ratio(rows)


if __name__ == "__main__":
    main()
