"""The one Prefect task that runs any declared stage (dhcore.runner does the catalogued, cached work).

Prefect's own result cache is off (NO_CACHE): a second cache that could disagree with the catalog
(e.g. after files were cleaned up) would only add ways to be wrong. Only transient failures retry.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.exceptions import MissingContextError
from pydantic import BaseModel, ConfigDict

from dhcore import stages
from dhcore.catalog.objstore import open_store
from dhcore.catalog.repo import Catalog
from dhcore.errors import InputError, ModelError, TransientError
from dhcore.runner import StepOutcome, run_step
from dhcore.stage import StageContext, StageParams
from tasks.gpu import gpu_slot

P = ParamSpec("P")
T = TypeVar("T")


class RunContext(BaseModel):
    """What every task of a production needs to reach the catalog and the store."""

    model_config = ConfigDict(frozen=True)
    production_id: str
    database_url: str
    store_root: str

    def catalog(self) -> Catalog:
        return Catalog(self.database_url, open_store(self.store_root))


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only failures that another attempt can fix; bad input and bad models fail at once."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - classified below
        return is_transient(exc)
    return False


def is_transient(exc: BaseException) -> bool:
    """A failure another attempt can fix: a busy or dropped database or store, a timeout (not a full disk)."""
    if isinstance(exc, (InputError, ModelError)):
        return False
    if isinstance(exc, (TransientError, TimeoutError, ConnectionError)):
        return True
    if "disk is full" in str(exc) or "No space left" in str(exc):  # another try cannot make space
        return False
    return type(exc).__name__ in {"OperationalError", "InterfaceError", "DisconnectionError"}


#: waits before the second and third attempt of a call with retries (with_retries)
RETRY_DELAYS = (1.0, 5.0)


def with_retries(fn: Callable[P, T]) -> Callable[P, T]:
    """`fn` retried on transient failures, as a task with retries would be, but run as a plain call.

    The catalog bookkeeping around the stages (open a production, register its inputs, close it) runs
    in the flow itself: a task run each cost ~0.1 s of orchestration and showed nothing of its own.
    """

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        for delay in RETRY_DELAYS:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - only transient failures are tried again
                if not is_transient(exc):
                    raise
                _logger().warning("%s failed (%s); trying again in %g s", fn.__name__, exc, delay)
            time.sleep(delay)
        return fn(*args, **kwargs)

    return call


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:  # called outside a flow run (tools, tests)
        return logging.getLogger(__name__)


@functools.cache
def stage_task(stage: str) -> Any:
    """The one task, named after the stage.

    Untagged on purpose: Prefect asks the server for tag concurrency slots before every tagged task run
    (one round trip per task, even with no limit defined); GPU stages hold their own slot (tasks.gpu).
    """
    return run_stage.with_options(name=stage)


def _resolve(value: Any) -> Any:
    """An input binding: an asset, a list of them, None, or (upstream outcome, output role)."""
    if isinstance(value, tuple):
        outcome, role = value
        return outcome.out(role)
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


@task(name="stage", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=retry_transient,
      persist_result=False)  # fmt: skip
def run_stage(ctx: RunContext, stage: str, params: StageParams, inputs: dict[str, Any]) -> StepOutcome:
    """Run one declared stage through the catalog (a hit costs a lookup); GPU stages hold their GPU's slot."""
    from tasks.production import progress_for  # the production's one progress artifact (imports this module)

    task_ctx = TaskRunContext.get()
    declared = stages.get(stage)
    with gpu_slot(declared.device_for(params)):
        return run_step(
            ctx.catalog(), ctx.production_id, declared, params, {role: _resolve(v) for role, v in inputs.items()},
            StageContext(progress=progress_for(ctx.production_id, stage), log=get_run_logger()),  # type: ignore[arg-type]
            str(task_ctx.task_run.id) if task_ctx else None,
        )  # fmt: skip
