"""Quality gates: a production's figures against its spec's `quality:` block -> status and reasons.

A pure function, so the flow, `dh run` and the benchmarks judge alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dhcore.spec.face_edit import FaceEditQualitySpec
from dhcore.spec.face_reenact import FaceReenactQualitySpec
from dhcore.spec.face_swap import FaceSwapQualitySpec
from dhcore.spec.quality import QualitySpec
from dhcore.spec.talking_head import TalkingHeadQualitySpec
from dhcore.spec.try_on import TryOnQualitySpec

Status = Literal["succeeded", "needs_review", "failed"]
DEFAULT_QUALITY = QualitySpec()


@dataclass(frozen=True)
class Verdict:
    status: Status
    reasons: list[str] = field(default_factory=list)


def judge(
    metrics: dict[str, float],
    quality: QualitySpec
    | TryOnQualitySpec
    | FaceSwapQualitySpec
    | FaceEditQualitySpec
    | TalkingHeadQualitySpec
    | FaceReenactQualitySpec,
) -> Verdict:
    """`succeeded` when every measured figure reaches its threshold; otherwise the spec's verdict with
    one reason per figure below its threshold (or above its ceiling). Figures the production did not measure are skipped."""
    reasons = [
        f"{name} {_shown(metrics[name], threshold)} is below {threshold:.2f}"
        for name, threshold in quality.thresholds().items()
        if name in metrics and metrics[name] < threshold
    ]
    ceilings = quality.ceilings() if hasattr(quality, "ceilings") else {}
    reasons += [
        f"{name} {_shown(metrics[name], ceiling)} is above {ceiling:.2f}"
        for name, ceiling in ceilings.items()
        if name in metrics and not metrics[name] <= ceiling
    ]
    if not reasons:
        return Verdict("succeeded")
    return Verdict("needs_review" if quality.enforce == "review" else "failed", reasons)


def _shown(value: float, limit: float) -> str:
    """The figure to 2 decimals, or more where 2 would print it equal to the limit it missed
    ("pose_pck 0.799 is below 0.80", not "0.80 is below 0.80")."""
    for digits in (2, 3, 4):
        if (text := f"{value:.{digits}f}") != f"{limit:.{digits}f}":
            return text
    return f"{value:g}"
