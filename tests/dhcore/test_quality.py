"""Quality gates: figures against the spec's quality block -> succeeded, needs_review or failed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dhcore.quality import DEFAULT_QUALITY, judge
from dhcore.spec.quality import QualitySpec

PASSING = {"pose_pck": 0.9, "pose_pck_limbs": 0.8, "motion_follow": 0.7, "body_integrity": 0.95,
           "head_in_frame": 1.0, "face_match_rate": 0.95}  # fmt: skip


def test_a_video_that_reaches_every_threshold_succeeds() -> None:
    assert judge(PASSING, DEFAULT_QUALITY).status == "succeeded"
    assert judge(PASSING, DEFAULT_QUALITY).reasons == []


def test_each_missed_threshold_is_a_reason_and_the_status_needs_review() -> None:
    verdict = judge(PASSING | {"pose_pck_limbs": 0.32, "motion_follow": 0.28}, DEFAULT_QUALITY)
    assert verdict.status == "needs_review"
    assert verdict.reasons == ["pose_pck_limbs 0.32 is below 0.70", "motion_follow 0.28 is below 0.60"]


def test_a_figure_just_under_its_threshold_is_not_printed_equal_to_it() -> None:
    verdict = judge(PASSING | {"pose_pck": 0.799, "motion_follow": 0.5999}, DEFAULT_QUALITY)
    assert verdict.reasons == ["pose_pck 0.799 is below 0.80", "motion_follow 0.5999 is below 0.60"]


def test_enforce_fail_fails_and_null_thresholds_are_not_checked() -> None:
    low = PASSING | {"face_match_rate": 0.1}
    assert judge(low, QualitySpec(enforce="fail")).status == "failed"
    assert judge(low, QualitySpec(face_match_rate=None)).status == "succeeded"


def test_figures_a_production_could_not_measure_are_skipped() -> None:
    no_face = {k: v for k, v in PASSING.items() if k != "face_match_rate"}
    assert judge(no_face, DEFAULT_QUALITY).status == "succeeded"


def test_thresholds_are_shares_and_unknown_keys_are_errors() -> None:
    with pytest.raises(ValidationError):
        QualitySpec(pose_pck=1.5)
    with pytest.raises(ValidationError):
        QualitySpec.model_validate({"pose_pkc": 0.5})
    with pytest.raises(ValidationError):
        QualitySpec(enforce="ignore")


def test_a_head_only_photo_whose_moves_were_cut_down_needs_review() -> None:
    """A face crop whose head moved a twentieth of the driver's is not the dance that was asked for."""
    verdict = judge(PASSING | {"head_only_kept": 0.05}, DEFAULT_QUALITY)
    assert verdict.status == "needs_review"
    assert verdict.reasons == ["head_only_kept 0.05 is below 0.50"]
    assert judge(PASSING | {"head_only_kept": 0.8}, DEFAULT_QUALITY).status == "succeeded"
