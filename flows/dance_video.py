"""The dance-video flow: walks the plan of dhcore.plans.dance, every step catalogued.

spec -> inputs -> pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render
     -> animate -> face stages -> evaluate -> assemble (+ extras) -> report
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow

from dhcore.plans.dance import plan_dance, production_metrics, verdict
from dhcore.spec.loader import load_spec
from flows.naming import production_name
from flows.walk import deliverables, register_inputs, walk
from tasks.production import close_production, open_production, production_guard


@flow(name="dance-video", flow_run_name=production_name, log_prints=False, validate_parameters=True)
def dance_video(spec_path: str, production_id: str | None = None) -> dict[str, Any]:
    started = time.time()
    loaded = load_spec(spec_path)
    plan = plan_dance(loaded)
    ctx = open_production(loaded, production_id)
    with production_guard(ctx):
        outcomes = walk(ctx, plan.calls, register_inputs(ctx, plan))
        metrics = production_metrics({k: o.metrics for k, o in outcomes.items()})
        gates = verdict(loaded, metrics)
        info = close_production(
            ctx, deliverables(plan, outcomes), metrics, status=gates.status, reasons=gates.reasons
        )
    return {"production_id": ctx.production_id, "status": info["status"], "flow_started_at": started}
