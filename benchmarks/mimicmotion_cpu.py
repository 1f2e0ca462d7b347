"""CPU benchmark of the MimicMotion backend at the tiny config: frames/s and peak RSS.

Each video length runs in a fresh subprocess (peak RSS is per process), through the real backend:
tiny random models installed in the download layout, a reference photo, a skeleton frames file,
frames streamed to a FrameWriter file. Target: peak RSS for 300 frames <= 1.1x that for 48, with
the default `anchor: first_window` (`--anchor all_windows` shows the release's fusion, whose
memory grows with the length).

    .venv/bin/python benchmarks/mimicmotion_cpu.py [--size 256x256] [--steps 3] [--threads 1]
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

    from dhcore.animate.mimicmotion.components import load_components
    from dhcore.animate.mimicmotion.tiny import install_tiny
    from dhcore.media.frames import FrameWriter
    from dhcore.pose.keypoints import PoseSequence

    os.environ["DH_MODELS_DIR"] = str(root / "models")
    load_components(install_tiny(root / "download"))  # converts the .pth once: both lengths load alike
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
    from dhcore.animate.mimicmotion.backend import MimicMotionBackend, MimicMotionParams
    from dhcore.pose.keypoints import PoseSequence

    root = Path(args.root)
    os.environ["DH_MODELS_DIR"] = str(root / "models")
    PoseSequence.empty(args.frames, args.width, args.height, 24.0).save(root / f"target_{args.frames}.npz")
    inputs = AnimateInputs(
        reference_image=root / "ref.png",
        reference_pose=root / "ref_pose.npz",
        target_pose=root / f"target_{args.frames}.npz",
        skeleton=root / "skeleton.nut",
        width=args.width,
        height=args.height,
        fps=Fraction(24),
    )
    params = MimicMotionParams(
        steps=args.steps, window=args.window, overlap=args.overlap, anchor=args.anchor, device="cpu"
    )
    measure(
        args.frames,
        lambda progress: MimicMotionBackend().run(inputs, params, root / f"out_{args.frames}.nut", progress),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="256x256", help="WxH, multiples of 8")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--overlap", type=int, default=6)
    parser.add_argument("--anchor", default="first_window", choices=("first_window", "all_windows"))
    add_run_arguments(parser)
    args = parser.parse_args()
    args.width, args.height = (int(v) for v in args.size.lower().split("x"))
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="mimicmotion_cpu_bench_") as tmp:
        root = Path(tmp)
        prepare(root, args.width, args.height, max(args.lengths))
        rows = run_lengths(__file__, root, args.lengths, [
            "--size", args.size, "--steps", str(args.steps), "--window", str(args.window),
            "--overlap", str(args.overlap), "--anchor", args.anchor, "--threads", str(args.threads)
        ])  # fmt: skip
    print(f"tiny config, {args.width}x{args.height}, {args.steps} steps, window {args.window}/{args.overlap}, "
          f"anchor {args.anchor}, guidance 2.0, {args.threads} thread(s), CPU")  # fmt: skip
    print(f"{'frames':>6} {'wall s':>8} {'frames/s':>9} {'unet calls':>10} {'live frames':>11} {'peak RSS MB':>12} "
          f"{'RSS while generating MB':>24}")  # fmt: skip
    for r in rows:
        print(f"{r['frames']:>6} {r['wall_s']:>8.1f} {r['frames_per_second']:>9.2f} {r['unet_calls']:>10.0f} "
              f"{r['max_live_frames']:>11.0f} {r['rss_mb']:>12.1f} {r['gen_rss_mb']:>24.1f}")  # fmt: skip
    print_ratio(rows)


if __name__ == "__main__":
    main()
