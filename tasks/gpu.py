"""One Prefect global-concurrency slot per physical GPU, held by GPU stages while they run.

A deployment's `concurrency_limit` counts runs across the whole fleet; what must not overlap
is two stages on one GPU. So each GPU gets its own limit (size 1), named after the host and
the first device in CUDA_VISIBLE_DEVICES (one worker per GPU sets it), created on first use.
CPU stages take no slot. (Wiring: the generic stage task wraps GPU stages in `gpu_slot`.)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager


def gpu_slot_name() -> str:
    device = (os.environ.get("CUDA_VISIBLE_DEVICES") or "0").split(",")[0].strip() or "0"
    host = "".join(c if c.isalnum() else "-" for c in socket.gethostname().lower())
    return f"dh-gpu-{host}-{device}"


def _ensure_limit(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except ObjectAlreadyExists:
                pass  # another process created it first


@contextmanager
def gpu_slot(device: str) -> Iterator[str | None]:
    """Hold this GPU's slot for the body when `device` is not "cpu"; yields the limit's name."""
    if device == "cpu" or (device == "auto" and not os.environ.get("CUDA_VISIBLE_DEVICES")):
        yield None  # "auto" runs on the CPU unless this worker was given a GPU
        return
    from prefect.concurrency.sync import concurrency

    name = gpu_slot_name()
    _ensure_limit(name)
    with concurrency(name, occupy=1, strict=True):
        yield name
