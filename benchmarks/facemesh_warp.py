"""Frames per second of the embedded face engine at 512x512: expression + head move + mesh warp
(with the painted mouth), the per-frame work of talking_head, face_edit and face_reenact.

    PYTHONPATH=. python benchmarks/facemesh_warp.py [--frames 100]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from dhcore.facemesh.expressions import Expression, HeadPose, apply, head_move
from dhcore.facemesh.landmarks import FaceMesh, one_face
from dhcore.facemesh.warp import MeshWarp
from tests import realdata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    image = realdata.rgb("astronaut")  # 512x512
    t0 = time.perf_counter()
    points = one_face(image, "astronaut")
    warp = MeshWarp(image, points)
    setup = time.perf_counter() - t0
    t = np.arange(args.frames) / 25.0
    start = time.perf_counter()
    frames = []
    for i, s in enumerate(t):
        expr = Expression(
            jaw_open=0.5 + 0.5 * np.sin(7 * s), smile=0.2 * np.sin(s), eyes_closed=float(i % 40 < 3)
        )
        pose = HeadPose(yaw=4 * np.sin(0.7 * s), pitch=2 * np.sin(1.1 * s), roll=2 * np.sin(0.5 * s))
        frames.append(warp.warp(head_move(apply(points, expr), pose)))
    render = time.perf_counter() - start
    with FaceMesh(video=True, max_faces=1) as mesh:
        start = time.perf_counter()
        for frame in frames:
            mesh.all(frame)
        measure = time.perf_counter() - start
    print(f"setup (mesh + triangulation): {setup:.2f} s")
    print(f"render: {args.frames / render:.1f} frames/s at {image.shape[1]}x{image.shape[0]} (target >= 10)")
    print(f"mesh on the output (figures): {args.frames / measure:.1f} frames/s")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
