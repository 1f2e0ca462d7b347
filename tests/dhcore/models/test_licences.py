"""Licences: every model says whether it may be used commercially; `licence: commercial` specs enforce it."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from dhcore.models import registry
from dhcore.models.licences import commercial_problems, spec_models
from dhcore.pose.keypoints import PoseSequence
from dhcore.report import production_markdown
from dhcore.spec.dance import DanceSpec
from dhcore.spec.loader import SpecError, load_spec

BASE = {
    "version": 1, "kind": "dance_video", "subject": {"image": "p.png"},
    "motion": {"type": "keypoints", "path": "d.npz"},
}  # fmt: skip
NO_FACE = {"identity": {"enabled": False}, "restore": {"backend": "none"}, "refine": {"backend": "none"}}


def test_every_known_model_declares_its_licence() -> None:
    import dhcore.models.known  # noqa: F401

    non_commercial = {"codeformer", "inswapper_128", "buffalo_l", "dlib_face_models", "arc2face_arcface",
                      "unianimate", "svd_xt_1_1", "stableanimator"}  # fmt: skip
    for model in registry.REGISTRY.values():
        assert model.license, model.id
        assert model.commercial is (model.id not in non_commercial), model.id
    assert "iBUG 300-W" in registry.get("dlib_face_models").license
    assert registry.get("mediapipe_models").license.startswith("Apache-2.0")


def test_the_commercial_flag_agrees_with_the_licence_text() -> None:
    """Restrictive wording means not commercial, and a model marked not commercial says why (the
    default is False, so a forgotten flag on a permissive licence fails here)."""
    import dhcore.models.known  # noqa: F401

    restrictive = ("non-commercial", "research", "community licen", "see its model card")
    for model in registry.REGISTRY.values():
        says_restricted = any(word in model.license.lower() for word in restrictive)
        assert model.commercial is not says_restricted, (model.id, model.license, model.commercial)


def test_spec_models_follow_the_chosen_backends() -> None:
    spec = DanceSpec.model_validate(
        {**BASE, "pose": {"detector": "dwpose"}, "face": {"restore": {"backend": "codeformer"}}}
    )
    uses = spec_models(spec)
    assert (("pose", "detector"), "dwpose_yolox_l") in uses
    assert (("animate", "backend"), "mediapipe_models") in uses
    assert (("face", "identity", "backend"), "dlib_face_models") in uses
    assert (("face", "restore", "backend"), "codeformer") in uses
    off = DanceSpec.model_validate({**BASE, "face": NO_FACE})
    assert {m for _, m in spec_models(off)} == {"mediapipe_models"}


def test_commercial_spec_rejects_non_commercial_models_only_when_asked() -> None:
    face = {"identity": {"backend": "insightface"}, "refine": {"backend": "inswapper"}}
    spec = DanceSpec.model_validate({**BASE, "face": face, "licence": "commercial"})
    problems = dict(commercial_problems(spec))
    assert set(problems) == {("face", "identity", "backend"), ("face", "refine", "backend")}
    assert "'inswapper_128' is not licensed for commercial use" in problems[("face", "refine", "backend")]
    assert commercial_problems(DanceSpec.model_validate({**BASE, "face": face})) == []
    clean = DanceSpec.model_validate({**BASE, "face": NO_FACE, "licence": "commercial"})
    assert commercial_problems(clean) == []


def test_licence_violation_is_a_located_validation_error(tmp_path: Path) -> None:
    from skimage import data

    cv2.imwrite(
        str(tmp_path / "p.png"), cv2.cvtColor(cv2.resize(data.astronaut(), (256, 256)), cv2.COLOR_RGB2BGR)
    )
    dance = PoseSequence.empty(5, 80, 96, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)
    dance.save(tmp_path / "d.npz")
    path = tmp_path / "spec.yaml"
    path.write_text(
        "version: 1\nkind: dance_video\nlicence: commercial\nsubject: {image: p.png}\n"
        "motion: {type: keypoints, path: d.npz}\nface:\n  restore: {backend: codeformer}\n"
    )
    with pytest.raises(SpecError) as info:
        load_spec(path)
    errors = [str(i) for i in info.value.issues]
    assert any(e.startswith(f"{path}:7:22: face.restore.backend: model 'codeformer'") for e in errors), errors
    assert any("face.identity.backend: model 'dlib_face_models'" in e for e in errors), errors


def test_report_lists_models_with_their_licences() -> None:
    normalized = DanceSpec.model_validate(
        {**BASE, "face": {"restore": {"backend": "codeformer"}}}
    ).model_dump(mode="json")
    info = {
        "production_id": "p", "name": "n", "status": "succeeded", "error": None, "inputs": [], "stages": [],
        "metrics": {}, "spec": {"kind": "dance_video", "normalized": normalized},
    }  # fmt: skip
    md = production_markdown(info)
    assert "## Models and licences" in md
    assert "| codeformer | **no** | S-Lab License 1.0 (non-commercial) |" in md
    assert "| mediapipe_models | yes | Apache-2.0 (MediaPipe) |" in md


def test_photo_shoot_models_and_commercial_check() -> None:
    from dhcore.spec.kinds import validate

    base = {"version": 1, "kind": "photo_shoot", "identity": {"photos": ["a.png"]},
            "looks": [{"name": "x", "prompt": "a portrait"}]}  # fmt: skip
    spec = validate({**base, "backend": "arc2face", "licence": "commercial"})
    uses = spec_models(spec)
    assert (("identity", "face_backend"), "dlib_face_models") in uses
    assert {m for loc, m in uses if loc == ("backend",)} == {"arc2face", "buffalo_l", "arc2face_arcface"}
    problems = commercial_problems(spec)
    flagged = {loc: [m for where, m in problems if where == loc] for loc in {loc for loc, _ in problems}}
    assert "'dlib_face_models'" in flagged[("identity", "face_backend")][0]
    backend = " ".join(flagged[("backend",)])
    assert "'buffalo_l'" in backend and "'arc2face_arcface'" in backend and "'arc2face'" not in backend


def test_try_on_and_face_kinds_list_their_models_and_refuse_non_commercial_ones() -> None:
    from dhcore.spec.kinds import validate

    try_on = {"version": 1, "kind": "try_on", "person": {"image": "p.png"},
              "garment": {"image": "g.png", "category": "top"}}  # fmt: skip
    uses = spec_models(validate({**try_on, "backend": "fashn_vton"}))
    assert (("backend",), "fashn_vton_1_5") in uses and (("kind",), "dlib_face_models") in uses
    chosen = validate({**try_on, "backend": "fashn_vton", "backend_params": {"model": "my_vton"}})
    assert (("backend_params", "model"), "my_vton") in spec_models(chosen)
    assert commercial_problems(validate({**try_on, "licence": "commercial", "backend": "fashn_vton"})) == [
        (("kind",), "model 'dlib_face_models' is not licensed for commercial use "
         f"({registry.get('dlib_face_models').license}); the spec demands licence: commercial")
    ]  # fmt: skip
    dancing = validate({**try_on, "then": {"dance": {
        "motion": {"type": "keypoints", "path": "d.npz"}, "animate": {"backend": "unianimate"}}}})  # fmt: skip
    assert (("then", "dance", "animate", "backend"), "unianimate") in spec_models(dancing)
    swap = {
        "version": 1,
        "kind": "face_swap",
        "identity": {"photos": ["a.png"]},
        "target": {"video": "t.mp4"},
    }
    assert {m for _, m in spec_models(validate(swap))} == {"dlib_face_models"}
    problems = commercial_problems(validate({**swap, "licence": "commercial"}))
    assert [loc for loc, _ in problems] == [("kind",)]
    assert commercial_problems(validate(swap)) == []
