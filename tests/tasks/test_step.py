"""Task-level policy: only transient failures are retried; bad input and bad models fail at once."""

from __future__ import annotations

import pytest
from prefect.states import Completed, Failed
from sqlalchemy.exc import OperationalError

from dhcore.errors import InputError, ModelError, TransientError
from tasks.step import retry_transient


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (InputError("no person in the reference"), False),
        (ModelError("gfpgan_1.4: sha256 mismatch"), False),
        (ValueError("a bug"), False),
        (TransientError("store busy"), True),
        (TimeoutError("slow disk"), True),
        (OperationalError("INSERT", {}, Exception("database is locked")), True),
        (OperationalError("INSERT", {}, Exception("database or disk is full")), False),
        (OSError(28, "No space left on device"), False),
    ],
)
def test_only_transient_failures_are_retried(error: BaseException, retried: bool) -> None:
    assert retry_transient(None, None, Failed(data=error)) is retried


def test_success_is_not_retried() -> None:
    assert retry_transient(None, None, Completed(data=1)) is False
