"""The warm-model pool: one load per key, one model per slot, guarded models never entered twice at once."""

from __future__ import annotations

import threading
import time

from dhcore.pool import ModelPool


def test_loads_once_per_key_and_slots_replace() -> None:
    pool, loads = ModelPool(), []
    first = pool.get(("a", 1), lambda: loads.append("a1") or object(), slot="big")
    assert pool.get(("a", 1), lambda: loads.append("again") or object(), slot="big") is first
    pool.get(("a", 2), lambda: loads.append("a2") or object(), slot="big")  # replaces ("a", 1)
    pool.get(("b",), lambda: loads.append("b") or object())
    assert loads == ["a1", "a2", "b"] and len(pool) == 2
    pool.clear(slot="big")
    assert len(pool) == 1


class _NotThreadSafe:
    def __init__(self) -> None:
        self.inside, self.overlaps, self.name = 0, 0, "model"

    def work(self) -> None:
        self.inside += 1
        self.overlaps += self.inside > 1
        time.sleep(0.01)
        self.inside -= 1


def test_guarded_models_serialise_calls_across_threads() -> None:
    pool = ModelPool()
    raw = _NotThreadSafe()
    a = pool.guarded(("face", "x"), lambda: raw, family="face")
    b = pool.guarded(("face", "y"), lambda: _NotThreadSafe(), family="face")
    assert a.name == "model"  # attributes pass through
    threads = [threading.Thread(target=m.work) for m in (a, a, a, b) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert raw.overlaps == 0 and raw.inside == 0
