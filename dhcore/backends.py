"""The backend tables: for every family, which backends exist, what they need and where they live.

A table is torch-free and cheap to import (the spec validator and the stage declarations read it);
an implementation is imported only when a stage first uses it. Animation and photo-shoot backends
carry their own params model (their `Entry` in dhcore.animate.registry / dhcore.shoot.registry);
the families below share one params model per family, so a `Backend` row is enough.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dhcore.stage import Device


def implementation(impl: str) -> Any:
    """The class (or function) named "module:attr", imported now."""
    module, _, attr = impl.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Backend:
    name: str
    impl: str  # "module:Class"; the family's loader says how it is built
    device: Device = "cpu"
    #: registry ids of the weights it loads (they enter the cache key; missing ones fail validation)
    model_ids: tuple[str, ...] = ()
    capabilities: frozenset[str] = frozenset()

    def load(self) -> Any:
        return implementation(self.impl)


class Table:
    """One family's backends by name; an unknown name is a ValueError listing the known ones."""

    def __init__(self, family: str, *entries: Backend) -> None:
        self.family = family
        self._entries = {e.name: e for e in entries}

    def __getitem__(self, name: str) -> Backend:
        if name not in self._entries:
            raise ValueError(f"unknown {self.family} backend {name!r} (known: {', '.join(self._entries)})")
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)
