"""Load a plan's later stages in a background thread while its first stages compute.

A stage's implementation is imported when it first runs (the face stages pull in dlib and
scipy.spatial: 0.5-0.8 s) and its weights digest is read then too (dlib's is remembered per
process); done ahead, that time overlaps stage compute instead of sitting between two stages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from dhcore import stages
from dhcore.stage import StageParams


def warm_stages(calls: Iterable[tuple[str, StageParams]]) -> threading.Thread:
    """Import each stage's implementation and read its weights digest, in order, in a daemon thread."""
    todo = list(calls)

    def warm() -> None:
        for name, params in todo:
            try:
                declared = stages.get(name)
                declared.implementation()
                declared.weights_digest(params)
            except Exception:  # noqa: BLE001 - the stage reports its own problem when it runs
                continue

    thread = threading.Thread(target=warm, name="dh-warm-stages", daemon=True)
    thread.start()
    return thread
