"""The footballer's feet (the footballer photo driven by the real pedestrian clip, dance_real's
walker_full_body): a pose detector run on the animated frames finds his ankles where the walk puts them."""

from __future__ import annotations

from fractions import Fraction

from dhcore.animate.base import AnimateInputs
from dhcore.animate.warp import WarpBackend, WarpParams
from dhcore.metrics import pck
from dhcore.pose import align, extract, smooth
from dhcore.pose.keypoints import J, PoseSequence
from dhcore.spec.dance import photo_canvas
from dhcore.stage import no_progress
from tests import realdata


def test_the_detector_finds_the_footballers_ankles_where_the_walker_puts_them(tmp_path):
    """In the photo one shin is slanted and its foot set on the ground, the other stretched sideways
    with its foot along it. Skinned to the shin, each foot turned with it when the walker stood the shin
    upright: it pointed at the ground (the detector put the ankle 12 px low) or up in the air, and 0.38
    of the ankles were found within PCK@0.1 (0.67 with feet that keep their turn against the ground)."""
    realdata.path("footballer")
    photo = realdata.write_photo("footballer", tmp_path / "photo.png")
    width, height = photo_canvas(extract.read_image(photo).shape[1::-1])
    clip = realdata.pedestrian_clip(tmp_path / "walker.nut", frames=24)
    body = extract.Params(parts="body")
    driver = extract.STAGE.call(tmp_path / "driver", body, source=clip).outputs["pose"].path
    ref = extract.STAGE.call(tmp_path / "ref", extract.Params(parts="all"), source=photo).outputs["pose"].path
    smoothed = smooth.STAGE.call(tmp_path / "smooth", pose=driver).outputs["pose"].path
    target_path = align.STAGE.call(
        tmp_path / "align", align.Params(width=width, height=height, method="musepose", align_frame="auto"),
        reference=ref, driving=smoothed,
    ).outputs["pose"].path  # fmt: skip
    inputs = AnimateInputs(photo, ref, target_path, None, width, height, Fraction(10))
    WarpBackend().run(inputs, WarpParams(), tmp_path / "warp.nut", no_progress)
    detected, _ = extract.detect_video(tmp_path / "warp.nut", body, no_progress)
    target, params = PoseSequence.load(target_path), pck.Params()
    ankles = [J["r_ankle"], J["l_ankle"]]
    scored = pck.scored(target, params, pck.shown_by(PoseSequence.load(ref), params))[:, ankles]
    hits = pck.correct(target, detected, params)[:, ankles]
    assert scored.sum() >= 0.8 * scored.size
    assert hits[scored].mean() >= 0.55, hits[scored].mean()
