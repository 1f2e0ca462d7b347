"""Run one declared stage as a catalogued, cached step (no framework: logger and progress are injected).

The catalog is the cache: the key (dhcore.cache.cache_key) is computed from the declaration (stage,
version, canonical params, the one weights digest) and the inputs' content hashes by role before
anything runs; a succeeded step with the same key and intact files is reused (recorded as a cache
hit); otherwise the stage runs in a scratch folder whose files become assets only after it returned.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from dhcore.cache import cache_key, canonical_json
from dhcore.catalog.repo import AssetRef, CachedStep, Catalog
from dhcore.stage import InputValue, StageContext, StageDef, StageParams, StageResult

#: what a caller passes per input role: one asset, several (a `many` role), or None (optional, absent)
InputRefs = dict[str, AssetRef | list[AssetRef] | None]


class StepOutcome(BaseModel):
    stage: str
    step_run_id: int
    cache_key: str
    cache_hit: bool
    seconds: float
    frames: int
    outputs: dict[str, Any]  # role -> AssetRef (dataclass, kept as Any for pydantic)
    metrics: dict[str, float]

    def out(self, role: str) -> AssetRef:
        return self.outputs[role]


def keyed_inputs(stage: StageDef, inputs: InputRefs) -> dict[str, AssetRef]:
    """Inputs checked against the declaration, flattened to the roles the key and lineage see
    (`many` roles as role_00, role_01, ...)."""
    unknown = set(inputs) - {p.role for p in stage.inputs}
    if unknown:
        raise ValueError(f"{stage.name}: undeclared inputs {sorted(unknown)}")
    flat: dict[str, AssetRef] = {}
    for port in stage.inputs:
        value = inputs.get(port.role)
        if value is None or value == []:
            if not port.optional:
                raise ValueError(f"{stage.name}: input {port.role!r} is required")
            continue
        refs = value if isinstance(value, list) else [value]
        if isinstance(value, list) != port.many:
            raise ValueError(
                f"{stage.name}: input {port.role!r} takes {'a list' if port.many else 'one asset'}"
            )
        for ref in refs:
            if ref.kind not in port.kinds:
                raise ValueError(
                    f"{stage.name}: input {port.role!r} is a {ref.kind}, not {' or '.join(port.kinds)}"
                )
        if port.many:
            flat |= {f"{port.role}_{i:02d}": ref for i, ref in enumerate(refs)}
        else:
            flat[port.role] = refs[0]
    return flat


def step_key(stage: StageDef, params: StageParams, flat: dict[str, AssetRef], weights: str | None) -> str:
    return cache_key(stage.name, stage.version, params, weights, {r: a.sha256 for r, a in flat.items()})


def _paths(inputs: InputRefs) -> dict[str, InputValue]:
    return {
        role: [Path(r.path) for r in v] if isinstance(v, list) else (Path(v.path) if v is not None else None)
        for role, v in inputs.items()
    }


def check_outputs(stage: StageDef, result: StageResult) -> None:
    declared = {p.role: p for p in stage.outputs}
    for role, out in result.outputs.items():
        if role not in declared:
            raise ValueError(f"{stage.name} wrote undeclared output {role!r}")
        if out.kind not in declared[role].kinds:
            raise ValueError(
                f"{stage.name}: output {role!r} is a {out.kind}, declared {declared[role].kinds}"
            )
    missing = [p.role for p in stage.outputs if not p.optional and p.role not in result.outputs]
    if missing:
        raise ValueError(f"{stage.name} did not write {missing}")


def run_step(
    catalog: Catalog, production_id: str, stage: StageDef, params: StageParams | dict[str, Any], inputs: InputRefs,
    ctx: StageContext, task_run_id: str | None = None,
) -> StepOutcome:  # fmt: skip
    """Look the step up in the catalog, or run the stage in a scratch folder and catalogue its files."""
    params = params if isinstance(params, stage.Params) else stage.Params.model_validate(params)
    flat = keyed_inputs(stage, inputs)
    weights = stage.weights_digest(params, ctx.models_root)
    key = step_key(stage, params, flat, weights)
    if (hit := catalog.find_cached(stage.name, key)) is not None:
        return _run_step(
            catalog, production_id, stage, params, inputs, flat, weights, key, ctx, task_run_id, hit
        )
    with catalog.cache_lease(key):  # runs of one spec at once compute a step once: the others wait here
        return _run_step(catalog, production_id, stage, params, inputs, flat, weights, key, ctx, task_run_id)


def _run_step(
    catalog: Catalog, production_id: str, stage: StageDef, params: StageParams, inputs: InputRefs,
    flat: dict[str, AssetRef], weights: str | None, key: str, ctx: StageContext, task_run_id: str | None,
    hit: CachedStep | None = None,
) -> StepOutcome:  # fmt: skip
    """`hit`: the cached run found before taking the lease; without one, look again under the lease
    (another run may have computed the step while this one waited)."""
    params_json = json.loads(canonical_json(params))
    cached = hit if hit is not None else catalog.find_cached(stage.name, key)
    if cached is not None:
        step_id = catalog.start_step(
            production_id,
            stage.name,
            stage.version,
            params_json,
            weights,
            key,
            flat,
            task_run_id,
            cached=cached,
        )
        ctx.log.info("%s: cache hit (key %s, from step run %d)", stage.name, key[:12], cached.step_run_id)
        return StepOutcome(
            stage=stage.name, step_run_id=step_id, cache_key=key, cache_hit=True, seconds=0.0,
            frames=cached.frames, outputs=cached.outputs, metrics=cached.metrics,
        )  # fmt: skip

    step_id = catalog.start_step(
        production_id, stage.name, stage.version, params_json, weights, key, flat, task_run_id
    )
    scratch = catalog.store.scratch()
    started = time.perf_counter()
    ctx.stage = stage
    try:
        result = stage.implementation()(_paths(inputs), params, scratch, ctx)
        check_outputs(stage, result)
        # "5 people in …/assets/47/47f6….jpg" means nothing to whoever wrote `image: group.jpg`
        result.warnings = [catalog.name_user_files_in(w, flat) for w in result.warnings]
        stored = {
            role: (catalog.store.ingest(out.path), out.kind, out.meta) for role, out in result.outputs.items()
        }
        seconds = time.perf_counter() - started
        refs = catalog.finish_step(
            step_id, stored, result.metrics, result.series, result.frames, seconds, result.warnings
        )
    except BaseException as exc:
        shown = catalog.name_user_files(exc, flat)  # the user's file, not the store copy
        catalog.fail_step(step_id, f"{type(shown).__name__}: {shown}", time.perf_counter() - started)
        if shown is not exc:
            raise shown from exc
        raise
    finally:
        catalog.store.discard(scratch)
    for warning in result.warnings:
        ctx.log.warning("%s: %s", stage.name, warning)
    ctx.log.info("%s: %d frames in %.2f s (key %s)", stage.name, result.frames, seconds, key[:12])
    return StepOutcome(
        stage=stage.name, step_run_id=step_id, cache_key=key, cache_hit=False, seconds=seconds,
        frames=result.frames, outputs=refs, metrics=result.metrics,
    )  # fmt: skip
