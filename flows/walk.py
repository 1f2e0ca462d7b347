"""Walk a plan's calls: submit each with its inputs bound; wait unless the call may overlap later ones."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect.context import TagsContext

from dhcore.catalog.repo import AssetRef
from dhcore.errors import InputError
from dhcore.plan import Binding, Call, Plan
from dhcore.quality import Verdict
from dhcore.runner import StepOutcome
from dhcore.spec.loader import LoadedSpec, load_spec
from dhcore.submission import Submission, load_submitted
from dhcore.warm import warm_stages
from tasks.production import (
    ContactSheetAhead,
    close_production,
    open_production,
    production_guard,
    register_input,
)
from tasks.step import RunContext, stage_task


def register_inputs(ctx: RunContext, plan: Plan) -> dict[str, AssetRef]:
    return {i.role: register_input(ctx, i.path, i.kind, i.role) for i in plan.inputs}


def _bind(value: Binding, refs: dict[str, AssetRef], done: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_bind(v, refs, done) for v in value]
    if value is None:
        return None
    return refs[value.role] if value.call is None else (done[value.call], value.role)


def walk(ctx: RunContext, calls: tuple[Call, ...] | list[Call], refs: dict[str, AssetRef],
         done: dict[str, Any] | None = None,
         on_done: Callable[[str, StepOutcome], None] | None = None) -> dict[str, StepOutcome]:  # fmt: skip
    """Run `calls` in order (inputs from `refs` and from `done`, earlier outcomes by call id);
    `on_done` hears of each waited call's outcome as soon as it is there."""
    done = dict(done or {})
    for call in calls:
        inputs = {role: _bind(v, refs, done) for role, v in call.inputs.items()}
        task = stage_task(call.stage)
        if not call.wait:
            done[call.id] = task.submit(ctx, call.stage, call.params, inputs)
            continue
        # a waited call runs in this thread: the same task run, without handing it to a pool thread and
        # waking this one when it ends (~10 ms a stage on a busy host)
        done[call.id] = task(ctx, call.stage, call.params, inputs)
        if on_done:
            on_done(call.id, done[call.id])
    return {k: v if isinstance(v, StepOutcome) else v.result() for k, v in done.items()}


def deliverables(plan: Plan, outcomes: dict[str, StepOutcome]) -> dict[str, AssetRef]:
    return {role: outcomes[ref.call].out(ref.role) for role, ref in plan.outputs.items() if ref.call}


def load_production_spec(spec_path: str | None, submitted: Submission | None) -> LoadedSpec:
    """A flow's spec: a file this host can read, or one submitted from elsewhere (dhcore.submission)."""
    if submitted is not None:
        return load_submitted(submitted)
    if not spec_path:
        raise InputError("a production needs spec_path (a spec file on the worker) or submitted (dh submit)")
    return load_spec(spec_path)


def produce(
    spec_path: str | None, production_id: str | None, plan: Callable[[LoadedSpec], Plan],
    metrics: Callable[[dict[str, dict[str, float]]], dict[str, float]],
    verdict: Callable[[LoadedSpec, dict[str, float]], Verdict], submitted: Submission | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A one-plan production (the body of every such flow): walk the plan, judge its figures, deliver."""
    started = time.time()
    loaded = load_production_spec(spec_path, submitted)
    planned = plan(loaded)
    with untagged_tasks():
        return _produce(loaded, planned, production_id, metrics, verdict, started)


@contextmanager
def untagged_tasks() -> Iterator[None]:
    """Task runs without the flow run's tags (kind, backend, batch: the flow run carries them).

    Prefect asks the server for tag concurrency slots before every tagged task run, one round trip per
    task even when no limit exists: 10-20 per production, all overhead.
    """
    with TagsContext(current_tags=set()):
        yield


def _produce(
    loaded: LoadedSpec, planned: Plan, production_id: str | None,
    metrics: Callable[[dict[str, dict[str, float]]], dict[str, float]],
    verdict: Callable[[LoadedSpec, dict[str, float]], Verdict], started: float,
) -> dict[str, Any]:  # fmt: skip
    ctx = open_production(loaded, production_id)
    sheet = ContactSheetAhead(planned.outputs)
    with production_guard(ctx):
        refs = register_inputs(ctx, planned)
        # started once the bookkeeping before the first stage is done: its imports would hold the GIL
        # against it; the first stage imports its own
        warm_stages((c.stage, c.params) for c in planned.calls[1:])
        outcomes = walk(ctx, planned.calls, refs, on_done=sheet.step_done)
        figures = metrics({k: o.metrics for k, o in outcomes.items()})
        gates = verdict(loaded, figures)
        info = close_production(
            ctx,
            deliverables(planned, outcomes),
            figures,
            status=gates.status,
            reasons=gates.reasons,
            sheet=sheet,
        )
    return {"production_id": ctx.production_id, "status": info["status"], "flow_started_at": started}
