"""Holding a cache key's lease while a step computes it (see Catalog.try_lease).

Two runs of the same spec at once would otherwise compute every stage twice. The second one
waits here until the first finishes (then finds the step in the cache) or dies (then takes
the lease over and computes it itself).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Seconds a lease lives without a heartbeat; the holder renews it every third of that.
TTL = 60.0
POLL = 0.5


def new_holder(host: str) -> str:
    return f"{host}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@contextmanager
def hold(catalog: Any, cache_key: str, ttl: float = TTL, poll: float = POLL) -> Iterator[str]:
    """Wait for and hold the lease of `cache_key`, renewing it in the background; yields the holder id."""
    holder = new_holder(catalog.host)
    while not catalog.try_lease(cache_key, holder, ttl):
        time.sleep(poll)
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(ttl / 3):
            try:
                catalog.renew_lease(cache_key, holder, ttl)
            except Exception:  # noqa: BLE001 - a missed beat only shortens the lease; the step goes on
                continue

    beat = threading.Thread(target=heartbeat, name=f"lease-{cache_key[:8]}", daemon=True)
    beat.start()
    try:
        yield holder
    finally:
        stop.set()
        beat.join()
        catalog.release_lease(cache_key, holder)
