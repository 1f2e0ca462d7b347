"""The try-on flow: walks the plan of dhcore.plans.try_on, every step catalogued.

spec -> inputs -> pose.extract (person) -> tryon.<backend> -> tryon.figures -> quality gates
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow

from dhcore.plans.try_on import plan_try_on, production_metrics, verdict
from dhcore.spec.loader import load_spec
from flows.naming import production_name
from flows.walk import deliverables, register_inputs, walk
from tasks.production import close_production, open_production, production_guard


@flow(name="try-on", flow_run_name=production_name, log_prints=False, validate_parameters=True)
def try_on(spec_path: str, production_id: str | None = None) -> dict[str, Any]:
    started = time.time()
    loaded = load_spec(spec_path)
    plan = plan_try_on(loaded)
    ctx = open_production(loaded, production_id)
    with production_guard(ctx):
        outcomes = walk(ctx, plan.calls, register_inputs(ctx, plan))
        metrics = production_metrics({k: o.metrics for k, o in outcomes.items()})
        gates = verdict(loaded, metrics)
        info = close_production(
            ctx, deliverables(plan, outcomes), metrics, status=gates.status, reasons=gates.reasons
        )
    return {"production_id": ctx.production_id, "status": info["status"], "flow_started_at": started}
