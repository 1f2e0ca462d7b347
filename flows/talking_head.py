"""The talking-head flow: walks the plan of dhcore.plans.talking_head, every step catalogued.

spec -> portrait, speech (or text -> speech.espeak) -> talking_head.mesh -> assemble -> figures -> gates
"""

from __future__ import annotations

from typing import Any

from dhcore.plans.talking_head import plan_talking_head, production_metrics, verdict
from dhcore.submission import Submission
from flows.production_flow import production_flow
from flows.walk import produce


@production_flow("talking-head")
def talking_head(
    spec_path: str | None = None, production_id: str | None = None, submitted: Submission | None = None
) -> dict[str, Any]:
    """`spec_path` on this host, or a spec `submitted` from another (dh submit)."""
    return produce(spec_path, production_id, plan_talking_head, production_metrics, verdict, submitted)
