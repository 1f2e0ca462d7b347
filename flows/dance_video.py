"""The dance-video flow: walks the plan of dhcore.plans.dance, every step catalogued.

spec -> inputs -> pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render
     -> animate -> face stages -> evaluate -> assemble (+ extras) -> report
"""

from __future__ import annotations

from typing import Any

from dhcore.plans.dance import plan_dance, production_metrics, verdict
from dhcore.submission import Submission
from flows.production_flow import production_flow
from flows.walk import produce


@production_flow("dance-video")
def dance_video(
    spec_path: str | None = None, production_id: str | None = None, submitted: Submission | None = None
) -> dict[str, Any]:
    """`spec_path` on this host, or a spec `submitted` from another (dh submit)."""
    return produce(spec_path, production_id, plan_dance, production_metrics, verdict, submitted)
