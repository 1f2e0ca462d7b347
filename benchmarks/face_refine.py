"""Benchmark of stage `face.refine` (target: embedded refinement >= 15 frames/s on frames that need it)
and the before/after pass rates of the refinement tests.

Input: 8 s at 24 fps (192 frames, 512x512) of the moving astronaut refined towards Grace Hopper's
identity, so every frame needs refinement. frames/s covers the whole stage: decoding, tracking,
measuring before, refining, measuring after, writing. Also runs `face.restore` (classical) on
the same clip, and the photo cases of the tests (Hopper onto the astronaut photo and onto the
six faces of insightface's t1.jpg) with distances before/after.

    .venv/bin/python benchmarks/face_refine.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
from face_common import Timer, astronaut, hopper_path, machine_load, moving_frames, t1_path, write_frames

from dhcore.face import refine, restore
from dhcore.face.faces import box_iou, load_analyzer, read_image
from dhcore.face.params import (
    IdentityParams,
    RefineParams,
    RefineStageParams,
    RestoreParams,
    RestoreStageParams,
)
from dhcore.face.reference import reference_face
from dhcore.face.swap import LandmarkSwapper

FRAMES = 192
THRESHOLD = 0.6


def photo_cases() -> None:
    faces = load_analyzer("dlib")
    hopper = reference_face(hopper_path(), faces)
    swapper = LandmarkSwapper(hopper)
    for name, image in (("astronaut photo", astronaut()), ("t1.jpg", read_image(t1_path()))):
        before_ok = after_ok = 0
        rows = []
        found = faces.detect(image)
        for face in found:
            before = faces.distance(faces.embed(image, face), hopper.embedding)
            out = swapper(image, face.landmarks).image
            again = [f for f in faces.detect(out) if box_iou(f.box, face.box) > 0.3]
            after = faces.distance(faces.embed(out, again[0]), hopper.embedding) if again else float("nan")
            before_ok += before <= THRESHOLD
            after_ok += after <= THRESHOLD
            rows.append(f"{before:.3f}->{after:.3f}")
        print(
            f"{name:15s}: {len(found)} face(s); pass rate vs Hopper before {before_ok}/{len(found)}, "
            f"after {after_ok}/{len(found)}; distances {', '.join(rows)}"
        )


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="dh_face_refine_"))
    clip = write_frames(folder / "astronaut.nut", moving_frames(astronaut(), FRAMES))
    ref = folder / "astronaut.png"
    cv2.imwrite(str(ref), astronaut()[:, :, ::-1])
    load_analyzer("dlib")
    print(f"input: {FRAMES} frames 512x512 @24 fps, reference Grace Hopper; {machine_load()}")
    cases = [
        ("landmark_swap seamless", RefineParams(restore_after=False)),
        ("landmark_swap feather", RefineParams(blend="feather", restore_after=False)),
        ("landmark_swap seamless + classical restore (default)", RefineParams()),
    ]
    for name, params in cases:
        runs = []
        for _ in range(3):
            with Timer() as t:
                result = refine.STAGE.call(
                    folder / "out", RefineStageParams(refine=params, identity=IdentityParams(), restore=RestoreParams()),
                    frames=clip, reference=hopper_path(),
                )  # fmt: skip
            runs.append(FRAMES / t.seconds)
        m = result.metrics
        print(
            f"{name}: {max(runs):.1f} frames/s (runs: {', '.join(f'{r:.1f}' for r in runs)}); refined "
            f"{int(m['face_refined_frames'])}/{FRAMES}; face_match_rate_raw {m['face_match_rate_raw']:.3f} -> "
            f"face_match_rate {m['face_match_rate']:.3f}; distance mean {m['face_distance_mean_raw']:.3f} -> "
            f"{m['face_distance_mean']:.3f} (max after {m['face_distance_max']:.3f})"
        )
    with Timer() as t:
        result = restore.STAGE.call(
            folder / "restore", RestoreStageParams(restore=RestoreParams(), identity=IdentityParams()),
            frames=clip, reference=ref,
        )  # fmt: skip
    m = result.metrics
    print(
        f"face.restore classical: {FRAMES / t.seconds:.1f} frames/s; distance to the reference before "
        f"{m['face_restore_distance_before']:.4f}, after {m['face_restore_distance_after']:.4f}"
    )
    photo_cases()
    print(f"after: {machine_load()}")


if __name__ == "__main__":
    main()
