"""Try-on quality gates: minima and the face-distance ceiling."""

from __future__ import annotations

from dhcore.quality import judge
from dhcore.spec.try_on import TryOnQualitySpec

GOOD = {"garment_colour": 0.7, "garment_ssim": 0.9, "silhouette_iou": 0.95, "background_psnr": 100.0,
        "face_distance": 0.0}  # fmt: skip


def test_good_figures_succeed() -> None:
    assert judge(GOOD, TryOnQualitySpec()).status == "succeeded"


def test_a_changed_face_needs_review_and_fails_when_enforced() -> None:
    bad = GOOD | {"face_distance": 0.7, "silhouette_iou": 0.5}
    verdict = judge(bad, TryOnQualitySpec())
    assert verdict.status == "needs_review"
    assert verdict.reasons == ["silhouette_iou 0.50 is below 0.85", "face_distance 0.70 is above 0.30"]
    assert judge(bad, TryOnQualitySpec(enforce="fail")).status == "failed"
    assert judge(bad, TryOnQualitySpec(face_distance=None, silhouette_iou=None)).status == "succeeded"


def test_a_lost_face_is_above_any_ceiling() -> None:
    assert judge(GOOD | {"face_distance": float("inf")}, TryOnQualitySpec()).status == "needs_review"


def test_a_try_on_that_dances_is_judged_by_both_lines() -> None:
    from types import SimpleNamespace

    from dhcore.plans.try_on import verdict
    from dhcore.spec.try_on import TryOnSpec

    spec = TryOnSpec.model_validate({
        "version": 1, "kind": "try_on", "person": {"image": "p.png"},
        "garment": {"image": "g.png", "category": "top"},
        "then": {"dance": {"motion": {"type": "keypoints", "path": "d.npz"}, "quality": {"enforce": "fail"}}},
    })  # fmt: skip
    loaded = SimpleNamespace(spec=spec)
    dance_ok = {"pose_pck": 0.9, "pose_pck_limbs": 0.9, "motion_follow": 0.9, "body_integrity": 1.0}
    assert verdict(loaded, GOOD | dance_ok).status == "succeeded"
    tried_badly = verdict(loaded, GOOD | dance_ok | {"shoulder_cover": 0.3})
    assert tried_badly.status == "needs_review" and tried_badly.reasons == [
        "shoulder_cover 0.30 is below 0.70"
    ]
    both = verdict(loaded, GOOD | dance_ok | {"shoulder_cover": 0.3, "pose_pck": 0.5})
    assert both.status == "failed"  # the dance's own `enforce: fail` wins over the try-on's review
    assert both.reasons == ["shoulder_cover 0.30 is below 0.70", "pose_pck 0.50 is below 0.80"]
