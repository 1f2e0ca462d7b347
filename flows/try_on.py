"""The try-on flow: walks the plan of dhcore.plans.try_on, every step catalogued.

spec -> inputs -> pose.extract (person) -> tryon.<backend> -> tryon.figures -> quality gates
"""

from __future__ import annotations

from typing import Any

from dhcore.plans.try_on import plan_try_on, production_metrics, verdict
from dhcore.submission import Submission
from flows.production_flow import production_flow
from flows.walk import produce


@production_flow("try-on")
def try_on(
    spec_path: str | None = None, production_id: str | None = None, submitted: Submission | None = None
) -> dict[str, Any]:
    """`spec_path` on this host, or a spec `submitted` from another (dh submit)."""
    return produce(spec_path, production_id, plan_try_on, production_metrics, verdict, submitted)
