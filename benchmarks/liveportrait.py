"""Speed of the LivePortrait backend's per-frame model work at the release's size, random weights.

Per driving frame the stage runs the motion extractor on the 256 px crop, the warping module (dense
motion + 3-D feature warp) and the SPADE generator (512 px out); the source's appearance volume and
keypoints are computed once. Prints frames/s per device and dtype (face boxing, crops and the paste
back are not included: they are the embedded backend's CPU work).

    python benchmarks/liveportrait.py                  # CPU, float32, and the GPU when there is one
    python benchmarks/liveportrait.py --frames 3       # fewer frames (CPU is slow at full size)
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from dhcore.reenact.liveportrait import motion
from dhcore.reenact.liveportrait.model import Config, LivePortrait
from dhcore.reenact.liveportrait.stitching import PARTS, RetargetingMLP, stitch


def frames_per_second(device: str, dtype: torch.dtype, frames: int) -> float:
    torch.manual_seed(0)
    model = LivePortrait(Config()).to(device, dtype).eval()
    stitcher = RetargetingMLP(
        [PARTS["retarget_shoulder"](21)[0], 128, 128, 64, PARTS["retarget_shoulder"](21)[1]]
    )
    stitcher = stitcher.to(device, dtype).eval()
    image = torch.rand(1, 3, 256, 256, device=device, dtype=dtype)
    with torch.inference_mode():
        volume = model.appearance_feature_extractor(image)
        source = motion.extract(model.motion_extractor, image)
        kp_source = motion.own(source)

        def frame() -> None:
            now = motion.extract(model.motion_extractor, image)
            kp = stitch(stitcher, kp_source, motion.relative(source, source, now))
            model.spade_generator(model.warping_module(volume, kp, kp_source)).float().cpu()

        frame()  # warm-up
        start = time.perf_counter()
        for _ in range(frames):
            frame()
        return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load {os.getloadavg()[0]:.2f}")
    runs = [("cpu", torch.float32)]
    if torch.cuda.is_available():
        runs += [("cuda", torch.float32), ("cuda", torch.float16)]
    for device, dtype in runs:
        fps = frames_per_second(device, dtype, args.frames)
        print(f"{device} {str(dtype).removeprefix('torch.')}: {fps:.2f} frames/s ({1000 / fps:.0f} ms/frame)")


if __name__ == "__main__":
    main()
