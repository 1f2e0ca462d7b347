"""The background fill alone, on the real photos of benchmarks/dance_real.py: what stands where the
person stood once the person moves away, with its setup seconds and the patch figure of
dhcore/metrics/fill.py.

Reads the pose files a dance_real run left (--work, the same folder), sets the warp animator up
again per pair and writes benchmarks/out/fill_<pair>.png (photo | hole | filled).
Usage: .venv/bin/python benchmarks/fill_real.py --work /tmp/w [--pairs demo walker_half_body]
"""

from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dhcore.animate.base import AnimateInputs  # noqa: E402
from dhcore.animate.warp.backend import Puppet, WarpParams  # noqa: E402
from dhcore.media.geometry import photo_fit  # noqa: E402
from dhcore.metrics.fill import patch_distances  # noqa: E402
from dhcore.pose.extract import read_image  # noqa: E402
from dhcore.pose.keypoints import PoseSequence  # noqa: E402

OUT = REPO / "benchmarks" / "out"
PAIRS = (
    "walker_full_body",
    "walker_arms_front",
    "walker_half_body",
    "walker_face_only",
    "street_full_body",
    "demo",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True, help="a dance_real.py --work folder")
    parser.add_argument("--pairs", nargs="+", choices=PAIRS, default=list(PAIRS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for pair in args.pairs:
        work = args.work / pair
        target = PoseSequence.load(work / "target.npz")
        width, height = target.width, target.height
        inputs = AnimateInputs(
            reference_image=work / "photo.png", reference_pose=work / "ref.npz", target_pose=work / "target.npz",
            skeleton=None, width=width, height=height, fps=Fraction(10),
        )  # fmt: skip
        started = time.perf_counter()
        puppet = Puppet.setup(inputs, WarpParams(), target)
        seconds = time.perf_counter() - started
        photo = read_image(work / "photo.png")
        photo = photo_fit(photo.shape[1], photo.shape[0], width, height).apply(photo)
        filled = puppet.background[..., :3]
        fill, background = patch_distances(filled, puppet.filled)
        hole = np.repeat(puppet.filled[..., None], 3, axis=2).astype(np.uint8) * 255
        still = np.hstack([photo, hole, filled])
        cv2.imwrite(str(args.out / f"fill_{pair}.png"), cv2.cvtColor(still, cv2.COLOR_RGB2BGR))
        print(
            f"{pair:<18} {width}x{height} setup {seconds:5.1f} s; fill {fill:.1f} vs background {background:.1f}"
        )


if __name__ == "__main__":
    main()
