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


#: the kinds whose spec picks a row of a Table by `backend` (with `backend_params`), and where the table is
KIND_TABLES = {
    "try_on": "dhcore.tryon.backends:TRY_ON",
    "face_reenact": "dhcore.reenact.backends:REENACT",
    "talking_head": "dhcore.talk.backends:TALKING_HEAD",
}


def kind_backend(spec: Any) -> Backend | None:
    """The row a spec of a KIND_TABLES kind chose (None for other kinds)."""
    table = KIND_TABLES.get(spec.kind)
    return None if table is None else implementation(table)[spec.backend]


def kind_backend_models(spec: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(spec field, model id) of the weights that row reads: the model `backend_params` names, or its own."""
    backend = kind_backend(spec)
    if backend is None or not backend.model_ids:
        return []
    chosen = spec.backend_params.get("model")
    if isinstance(chosen, str):
        return [(("backend_params", "model"), chosen)]
    return [(("backend",), m) for m in backend.model_ids]


def kind_backend_pool(spec: Any) -> str:
    """ "gpu" when the chosen row can use one and `backend_params.device` does not pin it to the CPU."""
    backend = kind_backend(spec)
    if backend is None or backend.device == "cpu" or spec.backend_params.get("device") == "cpu":
        return "cpu"
    return "gpu"
