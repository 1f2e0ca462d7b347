"""The photo-shoot flow: walks the phases of dhcore.plans.photo_shoot.

identity photos -> shoot.identity -> looks x count candidates (bounded concurrency; prompt portraits
  from cosmicman then get the identity by template_swap) -> shoot.score each (and each template
  original) -> select; retry short looks with new seeds -> deliver -> contact sheet + video portrait
"""

from __future__ import annotations

import time
from typing import Any

from prefect import get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from dhcore.errors import InputError
from dhcore.plan import Plan
from dhcore.plans.photo_shoot import ShootPlan, candidate, shoot_metrics
from dhcore.shoot.select import shortfall
from dhcore.spec.loader import LoadedSpec
from dhcore.submission import Submission
from flows.production_flow import production_flow
from flows.walk import load_production_spec, register_inputs, untagged_tasks, walk
from tasks.production import close_production, open_production, production_guard

#: candidates generated and scored at once: two CPU cores; diffusion backends serialise on their model
CONCURRENCY = 2


@production_flow("photo-shoot", task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY))
def photo_shoot(
    spec_path: str | None = None, production_id: str | None = None, submitted: Submission | None = None
) -> dict[str, Any]:
    """`spec_path` on this host, or a spec `submitted` from another (dh submit)."""
    started = time.time()
    loaded = load_production_spec(spec_path, submitted)
    shoot = ShootPlan(loaded)
    with untagged_tasks():
        return _shoot(loaded, shoot, production_id, started)


def _shoot(loaded: LoadedSpec, shoot: ShootPlan, production_id: str | None, started: float) -> dict[str, Any]:
    log = get_run_logger()
    ctx = open_production(loaded, production_id)
    with production_guard(ctx):
        refs = register_inputs(ctx, Plan(shoot.inputs(), (), {}))
        done = walk(ctx, shoot.identity_calls(), refs)
        media = done["identity"].out("embedding").media
        threshold = shoot.threshold(media)
        done = walk(ctx, shoot.setup_calls(media), refs, done)

        candidates, slots, rounds = [], shoot.first_round(), 0
        while slots:
            done = walk(ctx, shoot.round_calls(slots, media), refs, done)
            candidates += [candidate(s, done[f"score:{s[0]}:{s[1]}"].metrics, _made(done, s)) for s in slots]
            rounds += 1
            selection, slots = shoot.next_round(candidates, rounds, threshold)
        warnings, error = shortfall(selection, loaded.spec.selection.require)
        for warning in warnings:
            log.warning(warning)
        if error:
            raise InputError(error)

        scores = {k: o.metrics for k, o in done.items() if k.startswith(("score:", "template_score:"))}
        title = f"{loaded.name}: {len(selection.delivered)} delivered of {len(candidates)} ({loaded.spec.backend})"
        calls, outputs = shoot.delivery_calls(selection, candidates, scores, threshold, set(done), title)
        done = walk(ctx, calls, refs, done)
        template_d = [scores[f"template_score:{look}"].get("identity_distance") for look in shoot.templates()]
        metrics = shoot_metrics(selection, candidates, threshold, template_d)
        info = close_production(
            ctx, {r: done[ref.call].out(ref.role) for r, ref in outputs.items()}, metrics, warnings
        )
    return {"production_id": ctx.production_id, "status": info["status"], "flow_started_at": started}


def _made(done: dict[str, Any], slot: tuple[str, int, int]) -> dict[str, float]:
    """Metrics of the call that made a slot's image (the identity transfer after a diffusion backend)."""
    made = done.get(f"transfer:{slot[0]}:{slot[1]}") or done[f"generate:{slot[0]}:{slot[1]}"]
    return dict(made.metrics)
