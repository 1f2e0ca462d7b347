"""Dance videos from real photos and real motion: every figure of issue 8's benchmark, next to its target.

Pairs (tests/realdata.py says where each file comes from):
  walker_full_body  the footballer photo (full body) driven by a real pedestrian (opencv-doc vtest.avi)
  walker_arms_front the basketball player (both arms held in front of the torso), same walker
  walker_half_body  Grace Hopper (head and shoulders), same walker
  walker_face_only  a tight face crop (insightface's Tom Hanks: cut off at the neck, only a head to move),
                    same walker
  street_full_body  the footballer driven by the uncropped street video (several pedestrians): pose.extract
                    follows one of them (the largest, most central in the first frames)
  demo              the astronaut and the demo's procedural dance (specs/examples/dance.yaml's inputs)
and, per pair, two controls: a still copy of the photo (the cover-fitted photo in every frame), which
must score low on motion_follow and PCK, and, for the walker, the real driving clip scored against
its own smoothed poses, which must score high (a real person making exactly the target's motion).

The stages run directly from dhcore (no Prefect, no catalog): pose.extract -> pose.smooth ->
pose.align (musepose) -> animate.warp -> face.restore -> face.refine -> evaluate.pose_pck, so the
figures are the ones a production reports. Stills (photo | target skeleton | output with the target
(thin) and re-detected (dots) joints, at four moments) go to benchmarks/out/<pair>.png.
Usage: .venv/bin/python benchmarks/dance_real.py [--pairs demo walker_arms_front] [--frames 24]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dhcore.animate.base import AnimateInputs  # noqa: E402
from dhcore.animate.warp.backend import Puppet, WarpBackend, WarpParams  # noqa: E402
from dhcore.demo.dance import make_dance  # noqa: E402
from dhcore.face import refine, restore  # noqa: E402
from dhcore.face.params import FaceParams, RefineStageParams, RestoreStageParams  # noqa: E402
from dhcore.media.frames import FrameWriter, iter_frames  # noqa: E402
from dhcore.media.geometry import cover_fit  # noqa: E402
from dhcore.metrics import pck  # noqa: E402
from dhcore.metrics.fill import patch_distances  # noqa: E402
from dhcore.plans.dance import production_metrics  # noqa: E402
from dhcore.pose import align, extract, smooth  # noqa: E402
from dhcore.pose.keypoints import PoseSequence  # noqa: E402
from dhcore.pose.render import draw_skeleton, render_frame  # noqa: E402
from dhcore.quality import DEFAULT_QUALITY, judge  # noqa: E402
from dhcore.spec.dance import photo_canvas  # noqa: E402
from tests import realdata  # noqa: E402

OUT = REPO / "benchmarks" / "out"
#: the demo spec's canvas; the real pairs get what a spec without width/height gets (the photo's aspect)
DEMO_CANVAS = (512, 512)
PAIRS = {
    "walker_full_body": "footballer",
    "walker_arms_front": "arms_in_front",
    "walker_half_body": "grace_hopper",
    "walker_face_only": "face_crop",
    "street_full_body": "footballer",
    "demo": "astronaut",
}
#: (metric, target, where) printed per pair; where: "all" or "demo" (the demo's own target)
TARGETS = (
    ("pose_pck", 0.80), ("pose_pck_limbs", 0.70), ("motion_follow", 0.6), ("body_integrity", 0.9),
    ("head_in_frame", 0.95), ("body_in_frame", 0.95), ("face_match_rate", 0.9),
)  # fmt: skip


def driving_pose(pair: str, work: Path, frames: int) -> tuple[PoseSequence, Path | None]:
    """The driver's poses (and its clip, for the stills)."""
    if pair == "demo":
        return make_dance(seconds=8.0, fps=24, width=512, height=512), None
    if pair.startswith("street"):
        clip = realdata.street_clip(work / "street.nut", frames=frames)
    else:
        clip = realdata.pedestrian_clip(work / "walker.nut", frames=frames)
    result = extract.STAGE.call(work / "driver", extract.Params(parts="body"), source=clip)
    for w in result.warnings:
        print(f"  driver: {w}")
    print(f"  driver: body found in {result.metrics['detected_rate']:.2f} of the frames")
    # the street clip's own poses are one tracked person among several: no "real clip" control
    return PoseSequence.load(result.outputs["pose"].path), None if pair.startswith("street") else clip


def produce(
    photo: Path, driver: PoseSequence, work: Path, canvas: tuple[int, int]
) -> dict[str, Path | float]:
    """photo + driving poses -> delivered frames, as the dance flow's stages make them."""
    seconds: dict[str, float] = {}
    width, height = canvas

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        result = fn()
        seconds[name] = time.perf_counter() - started
        return result

    ref = timed("pose.extract(photo)", lambda: extract.STAGE.call(
        work / "ref", extract.Params(parts="all"), source=photo))  # fmt: skip
    shutil.copyfile(ref.outputs["pose"].path, work / "ref.npz")
    driver.save(work / "driver_raw.npz")
    smoothed = timed("pose.smooth", lambda: smooth.STAGE.call(work / "smooth", pose=work / "driver_raw.npz"))
    shutil.copyfile(smoothed.outputs["pose"].path, work / "driver_s.npz")
    aligned = timed("pose.align", lambda: align.STAGE.call(
        work / "align", align.Params(width=width, height=height, method="musepose", align_frame="auto"),
        reference=work / "ref.npz", driving=smoothed.outputs["pose"].path,
    ))  # fmt: skip
    shutil.copyfile(aligned.outputs["pose"].path, work / "target.npz")
    fps = Fraction(driver.fps).limit_denominator(1001)
    inputs = AnimateInputs(
        reference_image=photo, reference_pose=work / "ref.npz", target_pose=work / "target.npz",
        skeleton=None, width=width, height=height, fps=fps,
    )  # fmt: skip
    warp = timed("animate.warp", lambda: WarpBackend().run(inputs, WarpParams(), work / "warp.nut", _quiet))
    # the background fill as a person judges it (dhcore/metrics/fill.py), set up again: no stage's cost
    puppet = Puppet.setup(inputs, WarpParams(), PoseSequence.load(work / "target.npz"))
    fill = patch_distances(puppet.background[..., :3], puppet.filled)
    face = FaceParams()
    frames = work / "warp.nut"
    restored = timed("face.restore", lambda: restore.STAGE.call(
        work / "restore", RestoreStageParams(restore=face.restore, identity=face.identity),
        frames=frames, reference=photo, pose=work / "target.npz", reference_pose=work / "ref.npz",
    ))  # fmt: skip
    refined = timed("face.refine", lambda: refine.STAGE.call(
        work / "refine", RefineStageParams(refine=face.refine, identity=face.identity, restore=face.restore),
        frames=restored.outputs["frames"].path, reference=photo, pose=work / "target.npz",
        reference_pose=work / "ref.npz",
    ))  # fmt: skip
    delivered, report = refined.outputs["frames"].path, refined.outputs["report"].path
    result = timed("evaluate.pose_pck", lambda: pck.STAGE.call(
        work / "pck", frames=delivered, target=work / "target.npz", reference=work / "ref.npz",
        face_report=report,
    ))  # fmt: skip
    shutil.copyfile(result.outputs["detected"].path, work / "detected.npz")
    # the production's figures as the flow gathers them (dhcore/plans/dance.py): pose.align's too
    metrics = production_metrics({"align": aligned.metrics, "pck": result.metrics}) | result.metrics
    return {"frames": delivered, "metrics": metrics, "warnings": result.warnings,
            "seconds": seconds, "warp_fps": warp.metrics["render_fps"], "fill": fill,
            "photo_warnings": ref.warnings + [w for w in aligned.warnings if "only a head" in w]}  # fmt: skip


def still_copy(photo: Path, n: int, fps: float, out: Path, canvas: tuple[int, int]) -> Path:
    """The photo, cover-fitted to the canvas, in every frame: an animator that does nothing."""
    rgb = extract.read_image(photo)
    fitted = cover_fit(rgb.shape[1], rgb.shape[0], *canvas).apply(rgb)
    with FrameWriter(out, Fraction(fps).limit_denominator(1001), *canvas) as writer:
        writer.write(np.repeat(fitted[None], n, axis=0))
    return out


def _quiet(done: int, total: int | None) -> None:
    pass


def stills(photo: Path, work: Path, frames: Path, out: Path, canvas: tuple[int, int]) -> None:
    """Rows at four moments: photo | target skeleton | output + target (thin) and re-detected joints (dots)."""
    target, detected = PoseSequence.load(work / "target.npz"), PoseSequence.load(work / "detected.npz")
    video = np.concatenate(list(iter_frames(frames)))
    width, height = canvas
    rgb = extract.read_image(photo)
    fitted = cover_fit(rgb.shape[1], rgb.shape[0], width, height).apply(rgb)
    rows = []
    for i in np.linspace(0, len(video) - 1, 4).round().astype(int):
        marked = draw_skeleton(video[i].copy(), target.body[i])
        marked = (0.45 * video[i] + 0.55 * marked).astype(np.uint8)
        for x, y, c in detected.body[i]:
            if c >= 0.3 and np.isfinite(x):
                cv2.circle(marked, (int(x * width), int(y * height)), 5, (255, 255, 255), -1)
                cv2.circle(marked, (int(x * width), int(y * height)), 3, (255, 0, 0), -1)
        rows.append(np.hstack([fitted, render_frame(target, i, width, height), video[i], marked]))
    small = cv2.resize(np.vstack(rows), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(out), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))


def show(pair: str, label: str, metrics: dict[str, float], face_expected: bool) -> None:
    cells = []
    for name, target in TARGETS:
        if name == "face_match_rate" and not face_expected:
            continue
        value = metrics.get(name)
        mark = "–" if value is None else ("ok" if value >= target else "LOW")
        cells.append(f"{name} {'–' if value is None else f'{value:.2f}'} (>= {target}, {mark})")
    print(f"  {label:<11} " + " | ".join(cells))
    if pair == "demo":
        value = metrics.get("pose_pck_upper", 0.0)
        print(
            f"  {'':<11} pose_pck_upper {value:.2f} (demo target >= 0.85, {'ok' if value >= 0.85 else 'LOW'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", nargs="+", choices=sorted(PAIRS), default=list(PAIRS))
    parser.add_argument("--frames", type=int, default=24, help="walker clip length (<= 25)")
    parser.add_argument("--work", type=Path, help="keep the intermediate files in this folder")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="dh-real-") as tmp:
        for pair in args.pairs:
            work = Path(args.work or tmp, pair)
            work.mkdir(parents=True, exist_ok=True)
            photo = realdata.write_photo(PAIRS[pair], work / "photo.png")
            driver, clip = driving_pose(pair, work, args.frames)
            canvas = DEMO_CANVAS if pair == "demo" else photo_canvas(extract.read_image(photo).shape[1::-1])
            made = produce(photo, driver, work, canvas)
            metrics = made["metrics"]
            face_expected = "face_frames_expected" in metrics and metrics["face_frames_expected"] > 0
            print(f"\n== {pair}: {PAIRS[pair]} photo, {len(driver)} frames at {driver.fps:g} fps, "
                  f"canvas {canvas[0]}x{canvas[1]}")  # fmt: skip
            show(pair, "animated", metrics, face_expected)
            limbs = {k.removeprefix("pose_pck_"): v for k, v in metrics.items()
                     if k.startswith("pose_pck_") and k.removeprefix("pose_pck_") in _JOINTS}  # fmt: skip
            print(
                "  per joint PCK: "
                + (", ".join(f"{k} {v:.2f}" for k, v in limbs.items()) or "no limb joint scored")
            )
            others = {k.removeprefix("pose_pck_"): v for k, v in metrics.items()
                      if k.startswith("pose_pck_") and k.removeprefix("pose_pck_") in _OTHER_JOINTS}  # fmt: skip
            low = [f"{k} {v:.2f}" for k, v in others.items() if v < 0.8]
            print(f"  other joints under 0.80: {', '.join(low) or 'none'} (of {len(others)} scored)")
            follow = {
                k.removeprefix("motion_follow_"): v
                for k, v in metrics.items()
                if k.startswith("motion_follow_")
            }
            print(
                "  per joint follow: "
                + (", ".join(f"{k} {v:.2f}" for k, v in follow.items()) or "no joint moves enough")
            )
            print(f"  faces: {metrics.get('face_frames_expected', 0):.0f} frames should show one; found in "
                  f"{metrics.get('face_detection_rate', 0):.2f} of them")  # fmt: skip
            print(f"  background fill: its patches lie {made['fill'][0]:.1f} (RMS, 0-255) from the photo's "
                  f"background, whose own lie {made['fill'][1]:.1f} from each other (streaks, blobs: well above)")  # fmt: skip
            for w in made["photo_warnings"] + made["warnings"]:
                print(f"  warning: {w}")
            verdict = judge(metrics, DEFAULT_QUALITY)
            print(f"  verdict with the default quality block: {verdict.status}")
            for reason in verdict.reasons:
                print(f"    - {reason}")
            secs = made["seconds"]
            print("  stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in secs.items())
                  + f"; total {sum(secs.values()):.1f}; warp render {made['warp_fps']:.1f} frames/s")  # fmt: skip
            copy = still_copy(photo, len(driver), driver.fps, work / "still.nut", canvas)
            still = pck.STAGE.call(
                work / "still_pck", frames=copy, target=work / "target.npz", reference=work / "ref.npz"
            )
            show(pair, "still copy", still.metrics, False)
            if clip is not None:
                real = pck.STAGE.call(work / "clip_pck", frames=clip, target=work / "driver_s.npz")
                show(pair, "real clip", real.metrics, False)
            stills(photo, work, made["frames"], OUT / f"{pair}.png", canvas)
            print(f"  stills: {OUT / f'{pair}.png'}")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


_JOINTS = ("r_elbow", "r_wrist", "l_elbow", "l_wrist", "r_knee", "r_ankle", "l_knee", "l_ankle")
_OTHER_JOINTS = ("nose", "neck", "r_shoulder", "l_shoulder", "r_hip", "l_hip", "r_eye", "l_eye", "r_ear", "l_ear")  # fmt: skip

if __name__ == "__main__":
    main()
