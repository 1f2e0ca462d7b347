"""The dance plan is pure data: which calls a spec change re-runs is decided by comparing two plans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dhcore import stages
from dhcore.plan import Plan, Ref, changed_calls
from dhcore.plans.dance import plan_dance, production_metrics
from dhcore.spec.dance import DanceSpec
from dhcore.spec.loader import LoadedSpec

FILES = {("subject", "image"): Path("/in/astronaut.png"), ("motion", "path"): Path("/in/dancer.mp4")}


def _loaded(**changes: Any) -> LoadedSpec:
    data: dict[str, Any] = {
        "version": 1, "kind": "dance_video", "name": "p", "subject": {"image": "astronaut.png"},
        "motion": {"type": "video", "path": "dancer.mp4"},
        "animate": {"width": 512, "height": 512},  # a set canvas: the plan reads no photo
        "output": {"crf": 18, "extras": {"side_by_side": True}},
    }  # fmt: skip
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return LoadedSpec(Path("/in/p.yaml"), "", DanceSpec.model_validate(data), dict(FILES))


def _check_against_declarations(plan: Plan) -> None:
    known = {i.role for i in plan.inputs}
    seen: set[str] = set()
    for call in plan.calls:
        stage = stages.get(call.stage)
        assert isinstance(call.params, stage.Params), call.id
        for role, binding in call.inputs.items():
            port = stage.input(role)
            refs = binding if isinstance(binding, list) else [binding]
            assert port.optional or binding is not None, (call.id, role)
            for ref in (r for r in refs if r is not None):
                if ref.call is None:
                    assert ref.role in known, (call.id, ref)
                else:  # an earlier call's declared output
                    assert ref.call in seen and ref.role in {
                        p.role for p in stages.get(plan.call(ref.call).stage).outputs
                    }
        assert {p.role for p in stage.inputs if not p.optional} <= set(call.inputs), call.id
        seen.add(call.id)


def test_plan_binds_every_call_to_its_declaration() -> None:
    plan = plan_dance(_loaded())
    _check_against_declarations(plan)
    assert [c.id for c in plan.calls] == [
        "reference_pose", "driving_pose", "smooth", "align", "render", "animate", "face_restore", "face_refine",
        "pck", "assemble", "extras",
    ]  # fmt: skip
    assert plan.call("align").params.method == "musepose"  # align method auto -> musepose
    assert plan.call("extras").params.crf == 23 and not plan.call("pck").wait
    # the face stages look for a lost face where the animator's target pose puts it
    for face in ("face_restore", "face_refine"):
        assert plan.call(face).inputs["pose"] == Ref("align", "pose")
    assert set(plan.outputs) == {"video", "side_by_side"}


def test_diffusion_backend_plan_has_typed_backend_params() -> None:
    plan = plan_dance(
        _loaded(**{"animate": {"backend": "musepose", "width": 64, "height": 64, "params": {"steps": 2}}})
    )
    _check_against_declarations(plan)
    animate = plan.call("animate")
    assert animate.stage == "animate.musepose" and animate.params.params.steps == 2
    assert animate.params.params.window == 48  # musepose's own default
    with pytest.raises(ValueError, match="steps"):
        plan_dance(
            _loaded(**{"animate": {"backend": "musepose", "width": 64, "height": 64, "params": {"steps": 0}}})
        )


def test_only_output_crf_reruns_only_assembly() -> None:
    base = plan_dance(_loaded())
    assert changed_calls(base, plan_dance(_loaded())) == set()
    assert changed_calls(base, plan_dance(_loaded(**{"output.crf": 30}))) == {"assemble"}


def test_a_face_setting_reruns_the_face_stages_and_what_reads_their_frames() -> None:
    base = plan_dance(_loaded())
    changed = changed_calls(base, plan_dance(_loaded(**{"face.restore.strength": 0.5})))
    assert changed == {"face_restore", "face_refine", "pck", "assemble", "extras"}


def test_another_subject_person_reaches_the_face_stages() -> None:
    """The face stages pick the animated person's face by the reference pose, so choosing another
    person re-runs them; face.identity (without refinement) gets the pose too."""
    base = plan_dance(_loaded())
    changed = changed_calls(base, plan_dance(_loaded(**{"subject.person": 1})))
    assert {"face_restore", "face_refine"} <= changed
    plan = plan_dance(_loaded(**{"face.refine.backend": "none"}))
    _check_against_declarations(plan)
    for face in ("face_restore", "face_identity"):
        assert plan.call(face).inputs["reference_pose"] == Ref("reference_pose", "pose")


def test_a_new_photo_reruns_everything_that_depends_on_it() -> None:
    base = plan_dance(_loaded())
    moved = _loaded()
    moved.files[("subject", "image")] = Path("/in/other.png")
    changed = changed_calls(base, plan_dance(moved))
    assert "driving_pose" not in changed and "smooth" not in changed
    assert {"reference_pose", "align", "animate", "assemble"} <= changed


def test_production_metrics_promote_only_the_contract_figures() -> None:
    metrics = {"pck": {"pose_pck": 0.9, "pose_pck_frames": 10.0}, "face_identity": {"face_match_rate": 0.8}}
    assert production_metrics(metrics) == {
        "pose_pck": 0.9,
        "face_match_rate": 0.8,
        "face_match_rate_raw": 0.8,
    }


def test_the_evaluation_face_rates_win_and_none_are_reported_when_no_face_is_asked_for() -> None:
    refine = {"face_match_rate": 1.0, "face_match_rate_raw": 0.5, "face_detection_rate": 0.1}
    asked = {"pose_pck": 0.9, "face_frames_expected": 10.0, "face_match_rate": 0.2,
             "face_match_rate_raw": 0.1, "face_detection_rate": 0.3}  # fmt: skip
    m = production_metrics({"face_refine": refine, "pck": asked})
    assert (m["face_match_rate"], m["face_match_rate_raw"], m["face_detection_rate"]) == (0.2, 0.1, 0.3)
    never = {"pose_pck": 0.9, "face_frames_expected": 0.0}
    assert not {"face_match_rate", "face_match_rate_raw", "face_detection_rate"} & set(
        production_metrics({"face_refine": refine, "pck": never})
    )
