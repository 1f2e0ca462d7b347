"""Cache-key leases: one holder at a time; expired and dead holders are taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from dhcore.catalog.repo import Catalog

REPO = Path(__file__).resolve().parents[3]
KEY = "k" * 64


def test_one_holder_at_a_time_and_release(catalog: Catalog) -> None:
    assert catalog.try_lease(KEY, "a", 60)
    assert not catalog.try_lease(KEY, "b", 60)
    assert catalog.try_lease(KEY, "a", 60)  # re-entrant for its holder
    assert catalog.renew_lease(KEY, "a", 60) and not catalog.renew_lease(KEY, "b", 60)
    catalog.release_lease(KEY, "b")  # not b's: no effect
    assert not catalog.try_lease(KEY, "b", 60)
    catalog.release_lease(KEY, "a")
    assert catalog.try_lease(KEY, "b", 60)


def test_an_expired_lease_is_taken_over(catalog: Catalog) -> None:
    assert catalog.try_lease(KEY, "a", 5.0)  # long enough that a loaded machine still asks "b" in time
    assert not catalog.try_lease(KEY, "b", 60)
    time.sleep(5.1)
    assert catalog.try_lease(KEY, "b", 60)
    assert not catalog.renew_lease(KEY, "a", 60)  # a lost it


def test_a_killed_holder_on_this_host_is_taken_over_at_once(catalog: Catalog) -> None:
    code = (
        "import sys, time; from dhcore.catalog.repo import Catalog\n"
        f"assert Catalog({catalog.url!r}).try_lease({KEY!r}, 'child', 3600); print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"  # type: ignore[union-attr]
    assert not catalog.try_lease(KEY, "me", 60)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert catalog.try_lease(KEY, "me", 60)


def test_concurrent_misses_compute_once(catalog: Catalog) -> None:
    """The pattern of tasks.step.execute: look up, on a miss hold the lease, look up again, compute."""
    cache: dict[str, int] = {}
    computed: list[str] = []

    def step(name: str) -> None:
        if KEY in cache:
            return
        with catalog.cache_lease(KEY):
            if KEY not in cache:
                computed.append(name)
                time.sleep(0.3)
                cache[KEY] = 1

    threads = [threading.Thread(target=step, args=(f"t{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(computed) == 1 and cache == {KEY: 1}
    assert catalog.try_lease(KEY, "after", 60)  # released
