"""Figures and stage seconds of the embedded try-on (tryon.warp) on real photos, without Prefect.

The demo's striped T-shirt (`dhcore.demo.tryon_assets`) onto each real photo of tests/realdata.py
that shows a person's torso (astronaut, grace_hopper, arms_in_front, footballer), and garments worn
by someone else (the footballer's jersey on grace_hopper, the astronaut's suit on arms_in_front),
and the demo's trousers (a bottom) on the two photos that show legs;
photos larger than 512 px are scaled down first. Prints, per case, the seconds of pose.extract,
tryon.warp and tryon.figures, the figures, and the verdict of the default quality gates, with the
machine's load.
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
from dhcore.demo.tryon_assets import trousers, tshirt  # noqa: E402
from dhcore.pose import extract  # noqa: E402
from dhcore.quality import judge  # noqa: E402
from dhcore.spec.try_on import TryOnQualitySpec  # noqa: E402
from dhcore.tryon import figures, warp  # noqa: E402
from tests import realdata  # noqa: E402

#: (person photo, garment: "tshirt" / "trousers" for the demo's flat lays, else the real photo of its wearer)
CASES = (
    ("astronaut", "tshirt"), ("grace_hopper", "tshirt"), ("arms_in_front", "tshirt"), ("footballer", "tshirt"),
    ("grace_hopper", "footballer"), ("arms_in_front", "astronaut"),
    ("arms_in_front", "trousers"), ("footballer", "trousers"),
)  # fmt: skip


def small(rgb: np.ndarray) -> np.ndarray:
    scale = 512 / max(rgb.shape[:2])
    return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stills", type=Path, help="write photo | result PNGs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, garment_name in CASES:
            case = f"{name}+{garment_name}"
            try:
                rgb = small(realdata.rgb(name))
                drawn = {"tshirt": tshirt, "trousers": trousers}.get(garment_name)
                garment_rgb = drawn() if drawn else small(realdata.rgb(garment_name))
            except realdata.Missing as exc:
                print(f"{case}: skipped ({exc})")
                continue
            person, garment = work / f"{case}-person.png", work / f"{case}-garment.png"
            png_writer(rgb)(person)
            png_writer(garment_rgb)(garment)
            seconds = {}
            t = time.perf_counter()
            pose = extract.STAGE.call(work / case / "pose", source=person).outputs["pose"].path
            seconds["pose.extract"], t = time.perf_counter() - t, time.perf_counter()
            category = "bottom" if garment_name == "trousers" else "top"
            out = warp.STAGE.call(
                work / case / "warp",
                warp.Params(category=category),
                person=person,
                garment=garment,
                person_pose=pose,
            ).outputs
            seconds["tryon.warp"], t = time.perf_counter() - t, time.perf_counter()
            m = figures.STAGE.call(
                work / case / "fig", figures.Params(category=category), person=person, garment=garment,
                result=out["image"].path, edit_mask=out["edit_mask"].path,
                warped_garment=out["warped_garment"].path, person_pose=pose,
            ).metrics  # fmt: skip
            seconds["tryon.figures"] = time.perf_counter() - t
            verdict = judge(m, TryOnQualitySpec())
            timing = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
            shown = ", ".join(f"{k} {v:.3f}" for k, v in m.items())
            print(
                f"{case} {rgb.shape[1]}x{rgb.shape[0]}: {timing}\n  {shown}\n  {verdict.status} {verdict.reasons}"
            )
            if args.stills:
                args.stills.mkdir(parents=True, exist_ok=True)
                side = np.hstack([rgb, cv2.cvtColor(cv2.imread(str(out["image"].path)), cv2.COLOR_BGR2RGB)])
                png_writer(side)(args.stills / f"{case}.png")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
