"""The dance-video flow: walks the plan of dhcore.plans.dance, every step catalogued.

spec -> inputs -> pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render
     -> animate -> face stages -> evaluate -> assemble (+ extras) -> report
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from dhcore.plans.dance import plan_dance, production_metrics, verdict
from flows.naming import production_name
from flows.walk import produce


@flow(name="dance-video", flow_run_name=production_name, log_prints=False, validate_parameters=True)
def dance_video(spec_path: str, production_id: str | None = None) -> dict[str, Any]:
    return produce(spec_path, production_id, plan_dance, production_metrics, verdict)
