"""Figures and stage seconds of the embedded try-on (tryon.warp) on real photos, without Prefect.

The demo's striped T-shirt (`dhcore.demo.tryon_assets`) onto each real photo of tests/realdata.py
that shows a person's torso (astronaut, grace_hopper, arms_in_front, footballer; photos larger than
512 px are scaled down first). Prints, per photo, the seconds of pose.extract, tryon.warp and
tryon.figures, the figures, and the verdict of the default quality gates, with the machine's load.
`--stills DIR` also writes each photo beside its result as PNG.

    .venv/bin/python benchmarks/try_on.py [--stills /tmp/tryon]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dhcore.demo.assets import png_writer  # noqa: E402
from dhcore.demo.tryon_assets import tshirt  # noqa: E402
from dhcore.pose import extract  # noqa: E402
from dhcore.quality import judge  # noqa: E402
from dhcore.spec.try_on import TryOnQualitySpec  # noqa: E402
from dhcore.tryon import figures, warp  # noqa: E402
from tests import realdata  # noqa: E402

PHOTOS = ("astronaut", "grace_hopper", "arms_in_front", "footballer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stills", type=Path, help="write photo | result PNGs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        garment = work / "tshirt.png"
        png_writer(tshirt())(garment)
        for name in PHOTOS:
            try:
                rgb = realdata.rgb(name)
            except realdata.Missing as exc:
                print(f"{name}: skipped ({exc})")
                continue
            scale = 512 / max(rgb.shape[:2])
            if scale < 1:
                rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            person = work / f"{name}.png"
            png_writer(rgb)(person)
            seconds = {}
            t = time.perf_counter()
            pose = extract.STAGE.call(work / name / "pose", source=person).outputs["pose"].path
            seconds["pose.extract"], t = time.perf_counter() - t, time.perf_counter()
            out = warp.STAGE.call(
                work / name / "warp", person=person, garment=garment, person_pose=pose
            ).outputs
            seconds["tryon.warp"], t = time.perf_counter() - t, time.perf_counter()
            m = figures.STAGE.call(
                work / name / "fig", person=person, garment=garment, result=out["image"].path,
                edit_mask=out["edit_mask"].path, warped_garment=out["warped_garment"].path,
            ).metrics  # fmt: skip
            seconds["tryon.figures"] = time.perf_counter() - t
            verdict = judge(m, TryOnQualitySpec())
            timing = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
            shown = ", ".join(f"{k} {v:.3f}" for k, v in m.items())
            print(
                f"{name} {rgb.shape[1]}x{rgb.shape[0]}: {timing}\n  {shown}\n  {verdict.status} {verdict.reasons}"
            )
            if args.stills:
                args.stills.mkdir(parents=True, exist_ok=True)
                side = np.hstack([rgb, cv2.cvtColor(cv2.imread(str(out["image"].path)), cv2.COLOR_BGR2RGB)])
                png_writer(side)(args.stills / f"{name}.png")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
