"""The `quality:` block of a dance spec: the figures a delivered video must reach.

Defaults are issue 8's benchmark targets. A production below any of them ends `needs_review` with
the reasons (`enforce: review`, the default) or `failed` (`enforce: fail`); `succeeded` means the
video passed. A threshold set to null is not checked; a figure a production cannot measure (no
face to match, no limb that moves) is not checked either.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dhcore.spec.common import SpecModel


def _min(default: float, what: str) -> float | None:
    return Field(default, ge=0, le=1, description=f"lowest acceptable {what}; null: not checked")


class QualitySpec(SpecModel):
    enforce: Literal["review", "fail"] = Field(
        "review", description="below a threshold: review -> status needs_review; fail -> status failed"
    )
    pose_pck: float | None = _min(0.80, "PCK@0.1 over the joints the target moves and the photo shows")
    pose_pck_limbs: float | None = _min(0.70, "PCK@0.1 of elbows, wrists, knees and ankles")
    motion_follow: float | None = _min(0.6, "share of the target's limb motion the output makes")
    body_integrity: float | None = _min(0.9, "share of frames showing one whole person")
    head_in_frame: float | None = _min(
        0.95, "share of frames whose head stays in the frame when the target's does"
    )
    body_in_frame: float | None = _min(
        0.95, "share of frames whose target places the body the photo shows inside the frame"
    )
    face_match_rate: float | None = _min(0.9, "share of frames that should show a face showing the subject's")
    head_only_kept: float | None = _min(
        0.5, "share of the driver's head motion a head-only photo keeps (cut so little fill shows)"
    )

    def thresholds(self) -> dict[str, float]:
        """Metric name -> lowest acceptable value, for the checked figures."""
        return {k: v for k, v in self.model_dump(exclude={"enforce"}).items() if v is not None}
