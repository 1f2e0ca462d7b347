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


def test_bookkeeping_calls_retry_transient_failures_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks import step

    monkeypatch.setattr(step, "RETRY_DELAYS", (0.0, 0.0))
    attempts: list[int] = []

    @step.with_retries
    def busy_twice(n: int) -> int:
        attempts.append(n)
        if len(attempts) < 3:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return n + 1

    assert busy_twice(41) == 42
    assert attempts == [41, 41, 41]

    @step.with_retries
    def bad_input() -> None:
        attempts.append(0)
        raise InputError("spec.yaml: no person in the reference")

    attempts.clear()
    with pytest.raises(InputError, match="no person"):
        bad_input()
    assert attempts == [0]


def test_a_transient_failure_that_persists_fails_after_three_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tasks import step

    monkeypatch.setattr(step, "RETRY_DELAYS", (0.0, 0.0))
    attempts: list[int] = []

    @step.with_retries
    def always_busy() -> None:
        attempts.append(1)
        raise TransientError("store busy")

    with pytest.raises(TransientError):
        always_busy()
    assert len(attempts) == 3
