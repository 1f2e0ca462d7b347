"""Quality gates: a production's figures against its spec's `quality:` block -> status and reasons.

A pure function, so the flow, `dh run` and the benchmarks judge alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dhcore.spec.quality import QualitySpec

Status = Literal["succeeded", "needs_review", "failed"]
DEFAULT_QUALITY = QualitySpec()


@dataclass(frozen=True)
class Verdict:
    status: Status
    reasons: list[str] = field(default_factory=list)


def judge(metrics: dict[str, float], quality: QualitySpec) -> Verdict:
    """`succeeded` when every measured figure reaches its threshold; otherwise the spec's verdict with
    one reason per figure below its threshold. Figures the production did not measure are skipped."""
    reasons = [
        f"{name} {metrics[name]:.2f} is below {threshold:.2f}"
        for name, threshold in quality.thresholds().items()
        if name in metrics and metrics[name] < threshold
    ]
    if not reasons:
        return Verdict("succeeded")
    return Verdict("needs_review" if quality.enforce == "review" else "failed", reasons)
