"""The Prefect flow of a production: a plain Prefect flow whose parameters pydantic makes JSON-able.

Prefect imports FastAPI the first time a process creates a flow run, only for `jsonable_encoder`
(Flow.serialize_parameters): 0.3-0.5 s of every `dh run`, inside the flow run's wall time. A
production's parameters (a spec path, an id, a pydantic Submission) need nothing pydantic's own
encoder cannot do, and nothing else in `dh run` imports FastAPI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prefect import Flow
from prefect.futures import PrefectFuture
from prefect.states import State
from pydantic_core import PydanticSerializationError, to_jsonable_python

from dhcore.errors import DhError
from flows.naming import production_name


class WithoutUserErrorTracebacks(logging.Filter):
    """Prefect logs a failed run's exception with its traceback. A DhError (a bad input, a missing
    model) already says which file and what is wrong, and the production's error repeats it: its
    traceback only buries that line under Prefect's frames, in the terminal and in the UI."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], DhError):
            record.exc_info, record.exc_text = None, None
        return True


for _name in ("prefect.flow_runs", "prefect.task_runs"):
    logging.getLogger(_name).addFilter(WithoutUserErrorTracebacks())


class ProductionFlow(Flow):
    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """What the server stores and the UI shows: Prefect's forms (futures and states as placeholders,
        an unserializable value as `<TypeName>`), made by pydantic instead of FastAPI."""
        serialized: dict[str, Any] = {}
        for key, value in parameters.items():
            if isinstance(value, PrefectFuture | State):
                serialized[key] = f"<{type(value).__name__}>"
                continue
            try:
                serialized[key] = to_jsonable_python(value)
            except (PydanticSerializationError, TypeError, ValueError, RecursionError):
                serialized[key] = f"<{type(value).__name__}>"
        return serialized


def production_flow(name: str, **options: Any) -> Callable[[Callable[..., Any]], ProductionFlow]:
    """`@flow(name=name, **options)` for a production's flow function, run named after the production."""
    options = {"flow_run_name": production_name, "log_prints": False, "validate_parameters": True} | options

    def make(fn: Callable[..., Any]) -> ProductionFlow:
        return ProductionFlow(fn, name=name, **options)

    return make
