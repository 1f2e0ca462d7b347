"""How long `dh validate` takes on a diffusion-backend (musepose) spec, and whether it loads torch.

Builds a full dance spec (the example's pose, face and quality sections, backend musepose) around
the astronaut photo and a tiny keypoint file in a temporary folder, then runs `python -m dh.cli
validate` in fresh processes (the import cost is part of what a user waits for). Prints wall and CPU
(user+sys) seconds per run: CPU time is less affected by a loaded machine. Target: < 3 s wall.

    PYTHONPATH=$PWD python benchmarks/validate_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
from skimage import data

from dhcore.pose.keypoints import PoseSequence

REPO = Path(__file__).resolve().parents[1]
SPEC = """\
version: 1
kind: dance_video
name: validate-speed
subject: {image: person.png}
motion: {type: keypoints, path: dance.npz}
pose: {detector: mediapipe, align: {method: musepose, frame: auto}, smoothing: {enabled: true}}
animate:
  backend: musepose
  width: 512
  height: 512
  params: {steps: 20}
face:
  identity: {backend: dlib, threshold: 0.6}
  restore: {backend: classical}
  refine: {backend: landmark_swap}
output: {codec: h264, crf: 18}
"""
PROBE = (
    "import sys; from dh.cli import main; rc = main(['validate', sys.argv[1]]); "
    "print('torch loaded:', 'torch' in sys.modules, 'exit', rc)"
)


def build(folder: Path) -> Path:
    cv2.imwrite(str(folder / "person.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    dance = PoseSequence.empty(24, 512, 512, 24.0)
    dance.body[:, :8] = (256.0, 256.0, 0.9)
    dance.save(folder / "dance.npz")
    (folder / "spec.yaml").write_text(SPEC)
    return folder / "spec.yaml"


def run_once(spec: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE, str(spec)], capture_output=True, text=True, cwd=REPO, env=os.environ
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, (out.stdout + out.stderr).strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = build(Path(tmp))
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for i in range(args.runs):
            wall, cpu, last = run_once(spec)
            print(f"run {i + 1}: wall {wall:.2f} s, cpu (user+sys) {cpu:.2f} s; {last}")


if __name__ == "__main__":
    main()
