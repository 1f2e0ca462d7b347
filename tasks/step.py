"""Run one dhcore stage as a catalogued, cached step.

The catalog is the cache: the key (dhcore.cache.cache_key) is computed from the inputs'
content hashes before anything runs, a succeeded step with the same key and intact files is
reused (recorded as a cache hit), and otherwise the stage runs in a scratch folder whose
files become assets only after the stage returned. The key is logged on the Prefect task run
and shown in the production report. Prefect's own result cache is off (NO_CACHE): a second
cache that could disagree with the catalog (e.g. after files were cleaned up) would only add
ways to be wrong.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from pydantic import BaseModel, ConfigDict

from dhcore.cache import cache_key, canonical_json
from dhcore.catalog.objstore import open_store
from dhcore.catalog.repo import AssetRef, Catalog
from dhcore.errors import InputError, ModelError, TransientError
from dhcore.stage import Progress, StageResult


class RunContext(BaseModel):
    """What every task of a production needs to reach the catalog and the store."""

    model_config = ConfigDict(frozen=True)
    production_id: str
    database_url: str
    store_root: str

    def catalog(self) -> Catalog:
        return Catalog(self.database_url, open_store(self.store_root))


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


def key_for(
    stage: str, version: str, params: BaseModel | dict[str, Any], inputs: dict[str, AssetRef],
    weights_sha256: str | None = None,
) -> str:  # fmt: skip
    return cache_key(stage, version, params, weights_sha256, {r: a.sha256 for r, a in inputs.items()})


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only failures that another attempt can fix; bad input and bad models fail at once."""
    try:
        state.result()
    except (InputError, ModelError):
        return False
    except (TransientError, TimeoutError, ConnectionError):
        return True
    except Exception as exc:  # noqa: BLE001 - classify by name: database locks and dropped connections
        return type(exc).__name__ in {"OperationalError", "InterfaceError", "DisconnectionError"}
    return False


def _progress_reporter(stage: str, production_id: str) -> Progress:
    """A Prefect progress artifact for frame-level stages, updated at most every half second."""
    state: dict[str, Any] = {"id": None, "last": 0.0}

    def report(done: int, total: int | None) -> None:
        if not total:
            return
        now = time.monotonic()
        if done < total and now - state["last"] < 0.5:
            return
        state["last"] = now
        pct = round(100.0 * done / total, 1)
        try:
            if state["id"] is None:
                key = f"progress-{stage.replace('.', '-')}-{production_id[:8]}".lower()
                state["id"] = create_progress_artifact(pct, key=key, description=f"{stage}: frames done")
            else:
                update_progress_artifact(state["id"], pct)
        except Exception:  # noqa: BLE001 - progress is best effort; the stage must not fail on it
            state["id"] = state["id"] or "disabled"

    return report


def execute(
    ctx: RunContext, stage: str, version: str, params: BaseModel | dict[str, Any], inputs: dict[str, AssetRef],
    work: Callable[[Path, Progress], StageResult], weights_sha256: str | None = None,
) -> StepOutcome:  # fmt: skip
    """Look the step up in the catalog, or run `work(scratch_dir, progress)` and catalogue its files.

    `params` must hold everything besides the inputs that changes the output (stage params plus
    any extra arguments such as the output size): it is what the cache key sees.
    """
    log = get_run_logger()
    catalog = ctx.catalog()
    key = key_for(stage, version, params, inputs, weights_sha256)
    task_ctx = TaskRunContext.get()
    task_run_id = str(task_ctx.task_run.id) if task_ctx else None
    params_json = json.loads(canonical_json(params))
    cached = catalog.find_cached(stage, key)
    if cached is not None:
        step_id = catalog.start_step(
            ctx.production_id,
            stage,
            version,
            params_json,
            weights_sha256,
            key,
            inputs,
            task_run_id,
            cached=cached,
        )
        log.info("%s: cache hit (key %s, from step run %d)", stage, key[:12], cached.step_run_id)
        return StepOutcome(
            stage=stage, step_run_id=step_id, cache_key=key, cache_hit=True, seconds=0.0,
            frames=cached.frames, outputs=cached.outputs, metrics=cached.metrics,
        )  # fmt: skip

    step_id = catalog.start_step(
        ctx.production_id, stage, version, params_json, weights_sha256, key, inputs, task_run_id
    )
    scratch = catalog.store.scratch()
    started = time.perf_counter()
    try:
        result = work(scratch, _progress_reporter(stage, ctx.production_id))
        stored = {
            role: (catalog.store.ingest(out.path), out.kind, out.meta) for role, out in result.outputs.items()
        }
        seconds = time.perf_counter() - started
        refs = catalog.finish_step(
            step_id, stored, result.metrics, result.series, result.frames, seconds, result.warnings
        )
    except BaseException as exc:
        catalog.fail_step(step_id, f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
        raise
    finally:
        catalog.store.discard(scratch)
    for warning in result.warnings:
        log.warning("%s: %s", stage, warning)
    log.info("%s: %d frames in %.2f s (key %s)", stage, result.frames, seconds, key[:12])
    return StepOutcome(
        stage=stage, step_run_id=step_id, cache_key=key, cache_hit=False, seconds=seconds,
        frames=result.frames, outputs=refs, metrics=result.metrics,
    )  # fmt: skip


def stage_task(name: str) -> Any:
    """The @task settings every stage wrapper shares: the catalog caches, transient failures retry."""
    return task(
        name=name, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=retry_transient,
        persist_result=False,
    )  # fmt: skip
