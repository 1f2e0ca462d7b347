"""Warm models: ONE pool per process, passed to stages in their StageContext.

A model is loaded once per key and reused by every later stage call (a photo shoot scores dozens of
images with one face analyzer). A `slot` holds one key at a time, so a second diffusion model set
replaces the first instead of doubling memory. Models that are not thread-safe (dlib's HOG detector
corrupts the heap when two threads enter it) are handed out `guarded`: every method call holds the
pool's lock for their family, so stages running as threads never enter them at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Guarded:
    """A model whose every method call holds `lock`; attributes pass through."""

    def __init__(self, inner: Any, lock: threading.RLock) -> None:  # type: ignore[valid-type]
        self._inner, self._lock = inner, lock

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return value(*args, **kwargs)

        return locked


class ModelPool:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._items: dict[tuple[Any, ...], Any] = {}
        self._slots: dict[str, tuple[Any, ...]] = {}
        self._family_locks: dict[str, threading.RLock] = {}  # type: ignore[valid-type]

    def get(self, key: tuple[Any, ...], load: Callable[[], T], *, slot: str | None = None) -> T:
        """The model for `key`, loaded on first use; with `slot`, the slot's previous model is dropped first."""
        with self._lock:
            if key in self._items:
                return self._items[key]  # type: ignore[no-any-return]
            if slot is not None and (old := self._slots.pop(slot, None)) is not None:
                self._items.pop(old, None)  # free the old set before loading a new one
            value = load()
            self._items[key] = value
            if slot is not None:
                self._slots[slot] = key
            return value

    def family_lock(self, family: str) -> threading.RLock:  # type: ignore[valid-type]
        with self._lock:
            return self._family_locks.setdefault(family, threading.RLock())

    def guarded(self, key: tuple[Any, ...], load: Callable[[], Any], family: str) -> Any:
        """Like `get`, for a model that must not be entered by two threads at once (see module doc)."""
        return self.get(key, lambda: Guarded(load(), self.family_lock(family)))

    def clear(self, slot: str | None = None) -> None:
        """Drop every model (or those in slots named `slot` or `slot.*`); memory is freed once no run holds them."""
        with self._lock:
            if slot is None:
                self._items.clear()
                self._slots.clear()
                return
            for name in [s for s in self._slots if s == slot or s.startswith(slot + ".")]:
                self._items.pop(self._slots.pop(name), None)

    def __len__(self) -> int:
        return len(self._items)


#: the process's pool: StageContext's default, and what backends without a context use
POOL = ModelPool()
