"""CPU benchmark of the wan_animate backend at the tiny config: frames/s and peak RSS.

Each video length runs in a fresh subprocess (peak RSS is per process), through the real backend:
a tiny random WanAnimatePipeline folder installed in the release layout and loaded by diffusers,
a reference photo, skeleton frames and a driving video with face poses, frames streamed to a
FrameWriter file. The backend calls the pipeline once per segment, so the target is peak RSS for
300 frames <= 1.1x that for 48.

    .venv/bin/python benchmarks/wan_animate_cpu.py [--size 128x128] [--steps 2] [--segment 17] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from fractions import Fraction
from pathlib import Path

from memory_runs import add_run_arguments, measure, print_ratio, run_lengths

DRIVING = (160, 120)  # the driving video's size


def prepare(root: Path, args: argparse.Namespace) -> None:
    """The tiny folder and each length's inputs, written here so the children only run."""
    from dhcore.animate.wan_animate.tiny import install_tiny, write_inputs

    os.environ["DH_MODELS_DIR"] = str(root / "models")
    install_tiny(root / "download")
    for frames in args.lengths:
        write_inputs(root / f"inputs_{frames}", frames, args.width, args.height, DRIVING)


def child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    from dhcore.animate.base import AnimateInputs
    from dhcore.animate.wan_animate.backend import WanAnimateBackend
    from dhcore.animate.wan_animate.params import WanAnimateParams

    root = Path(args.root)
    os.environ["DH_MODELS_DIR"] = str(root / "models")
    folder = root / f"inputs_{args.frames}"
    paths = {k: folder / v for k, v in (("ref", "ref.png"), ("ref_pose", "ref_pose.npz"),
             ("target", f"target_{args.frames}.npz"), ("skeleton", f"skeleton_{args.frames}.nut"),
             ("video", f"driving_{args.frames}.nut"), ("pose", f"driving_{args.frames}.npz"))}  # fmt: skip
    inputs = AnimateInputs(
        reference_image=paths["ref"], reference_pose=paths["ref_pose"], target_pose=paths["target"],
        skeleton=paths["skeleton"], width=args.width, height=args.height, fps=Fraction(24),
        driving_video=paths["video"], driving_pose=paths["pose"],
    )  # fmt: skip
    params = WanAnimateParams(
        steps=args.steps,
        segment_frames=args.segment,
        prev_frames=args.prev,
        prompt="a person dancing",
        device="cpu",
    )
    measure(
        args.frames,
        lambda progress: WanAnimateBackend().run(inputs, params, root / f"out_{args.frames}.nut", progress),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="128x128", help="WxH, multiples of 16")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--segment", type=int, default=17, help="segment_frames, 4n+1")
    parser.add_argument("--prev", type=int, default=1, choices=(1, 5))
    add_run_arguments(parser)
    args = parser.parse_args()
    args.width, args.height = (int(v) for v in args.size.lower().split("x"))
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="wan_animate_cpu_bench_") as tmp:
        root = Path(tmp)
        prepare(root, args)
        rows = run_lengths(__file__, root, args.lengths, [
            "--size", args.size, "--steps", str(args.steps), "--segment", str(args.segment),
            "--prev", str(args.prev), "--threads", str(args.threads),
        ])  # fmt: skip
    print(f"tiny config, {args.width}x{args.height}, {args.steps} steps, segments of {args.segment} sharing "
          f"{args.prev}, guidance 1.0, {args.threads} thread(s), CPU")  # fmt: skip
    print(f"{'frames':>6} {'wall s':>8} {'frames/s':>9} {'segments':>8} {'live frames':>11} {'peak RSS MB':>12} "
          f"{'RSS while generating MB':>24}")  # fmt: skip
    for r in rows:
        print(f"{r['frames']:>6} {r['wall_s']:>8.1f} {r['frames_per_second']:>9.2f} {r['segments']:>8.0f} "
              f"{r['max_live_frames']:>11.0f} {r['rss_mb']:>12.1f} {r['gen_rss_mb']:>24.1f}")  # fmt: skip
    print_ratio(rows)


if __name__ == "__main__":
    main()
