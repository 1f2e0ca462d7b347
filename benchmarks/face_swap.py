"""Benchmark of the face_swap stage (faceswap.video, embedded swap engine, CPU) on real photos set in
motion: Grace Hopper's face on each of the six t1.jpg people (each a 3 s, 10 fps, 384x384 clip made
by dhcore.demo.faceswap_assets.target_frames), stage by stage without Prefect. Prints per target the
figures a production reports (identity distance per frame, realism, jitter before/after smoothing)
and the frames per second, with the machine's load; `--stills DIR` writes before/after strips.

    .venv/bin/python benchmarks/face_swap.py [--stills /tmp/faceswap]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from dhcore.demo.assets import grace_hopper, png_writer
from dhcore.demo.faceswap_assets import FPS, SECONDS, SIZE, target_frames
from dhcore.demo.shoot_assets import face_crops, t1_photo
from dhcore.faceswap import stage
from dhcore.media.encode import encode_mp4
from dhcore.media.ffmpeg import AudioInput, EncodeOptions
from dhcore.media.frames import iter_frames


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stills", type=Path, default=None, help="write before/after strips here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dh_faceswap_bench_"))
    identity = work / "hopper.png"
    png_writer(grace_hopper())(identity)
    print(f"before: {load()}")
    for i, crop in enumerate(face_crops(t1_photo())):
        frames = target_frames(crop, int(SECONDS * FPS))
        video = work / f"t1_face{i}.mp4"
        encode_mp4([frames], SIZE, SIZE, Fraction(FPS), len(frames), video, EncodeOptions(), AudioInput(None))
        started = time.perf_counter()
        result = stage.STAGE.call(work / f"out{i}", photo=[identity], video=video)
        seconds = time.perf_counter() - started
        m = result.metrics
        print(
            f"t1_face{i}: {m['frames']:.0f} frames in {seconds:.1f} s ({m['frames'] / seconds:.1f} fps); swapped "
            f"{m['swap_rate']:.0%}; identity within 0.6: {m['identity_match_rate']:.0%} (median "
            f"{m.get('identity_distance_median', float('nan')):.3f}, max {m.get('identity_distance_max', float('nan')):.3f}); "
            f"realism median {m.get('realism_median', float('nan')):.3f} (min {m.get('realism_min', float('nan')):.3f}); "
            f"jitter {m.get('jitter', float('nan')):.4f} (raw {m.get('jitter_raw', float('nan')):.4f})"
        )
        if args.stills:
            args.stills.mkdir(parents=True, exist_ok=True)
            after = np.concatenate(list(iter_frames(result.outputs["frames"].path)))
            pick = [0, len(frames) // 2, len(frames) - 1]
            strip = np.vstack([np.hstack([frames[k] for k in pick]), np.hstack([after[k] for k in pick])])
            cv2.imwrite(str(args.stills / f"t1_face{i}.png"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
    print(f"after:  {load()}")
    print(f"files in {work}")


if __name__ == "__main__":
    main()
