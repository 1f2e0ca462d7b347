"""The dance plan hands wan_animate the driving video and its own-coordinate poses; other
backends do not get them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dhcore import stages
from dhcore.plan import Ref
from dhcore.plans.dance import plan_dance
from dhcore.spec.dance import DanceSpec
from dhcore.spec.loader import LoadedSpec

FILES = {("subject", "image"): Path("/in/astronaut.png"), ("motion", "path"): Path("/in/dancer.mp4")}


def _plan(animate: dict[str, Any], smoothing: bool = True):
    data = {
        "version": 1, "kind": "dance_video", "subject": {"image": "astronaut.png"},
        "motion": {"type": "video", "path": "dancer.mp4"}, "animate": {"width": 512, "height": 512, **animate},
        "pose": {"smoothing": {"enabled": smoothing}},
    }  # fmt: skip
    return plan_dance(LoadedSpec(Path("/in/p.yaml"), "", DanceSpec.model_validate(data), dict(FILES)))


def test_wan_animate_reads_the_driving_video_and_its_poses() -> None:
    call = _plan({"backend": "wan_animate"}).call("animate")
    assert call.inputs["driving_video"] == Ref(None, "motion")
    assert call.inputs["driving_pose"] == Ref("smooth", "pose")  # not the aligned target
    assert call.inputs["target_pose"] == Ref("align", "pose")
    declared = {p.role for p in stages.get(call.stage).inputs}
    assert {"driving_video", "driving_pose"} <= declared
    unsmoothed = _plan({"backend": "wan_animate"}, smoothing=False).call("animate")
    assert unsmoothed.inputs["driving_pose"] == Ref("driving_pose", "pose")


def test_other_backends_do_not_get_the_driving_inputs() -> None:
    call = _plan({"backend": "mimicmotion"}).call("animate")
    assert "driving_video" not in call.inputs and "driving_pose" not in call.inputs
    assert "driving_video" not in {p.role for p in stages.get(call.stage).inputs}
