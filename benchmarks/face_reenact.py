"""The reenactment without Prefect on the demo inputs: render frames/s at 512x512 and the figures
(AKD proxy, head-pose distance, identity, jitter with and without the One-Euro filter).

    PYTHONPATH=. python benchmarks/face_reenact.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from dhcore.demo.face_assets import write_face_assets
from dhcore.reenact import figures, render


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dh-reenact-bench-") as tmp:
        assets = write_face_assets(Path(tmp) / "assets")
        inputs = {"source": assets["astronaut"], "driver": assets["driver"]}
        for label, params in (
            ("One-Euro on", render.Params()),
            ("One-Euro off", render.Params(smoothing_cutoff=10.0, smoothing_beta=0.0)),
        ):
            out = Path(tmp) / label.replace(" ", "_")
            start = time.perf_counter()
            result = render.STAGE.call(out / "render", params, **inputs)
            seconds = time.perf_counter() - start
            fig = figures.STAGE.call(
                out / "figures", figures.Params(), frames=result.outputs["frames"].path, **inputs
            )
            m = fig.metrics
            print(
                f"{label}: {result.frames} frames, render {result.frames / seconds:.1f} frames/s (incl. driver "
                f"tracking), motion_distance {m['motion_distance']:.4f}, head_pose_distance "
                f"{m['head_pose_distance']:.2f} deg, face_distance max {m['face_distance_max']:.3f} mean "
                f"{m['face_distance_mean']:.3f}, jitter {m['landmark_jitter']:.4f} (driver {m['driver_jitter']:.4f})"
            )
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
