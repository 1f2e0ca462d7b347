"""`dh run`'s progress line on a terminal: stage, frames done/total and ETA while a production runs."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from dhcore.catalog.repo import Catalog


def progress_line(info: dict[str, Any] | None, frames_text: str | None, elapsed: float) -> str:
    """One status line from what the catalog has recorded and the stage's own frame progress."""
    if info is None:
        return f"[{elapsed:5.0f} s] starting"
    stages = info.get("stages", [])
    done = sum(s["status"] == "succeeded" for s in stages)
    running = [s["name"] for s in stages if s["status"] == "running"]
    now = frames_text or (f"{', '.join(running)} running" if running else "between stages")
    return f"[{elapsed:5.0f} s] {done} stage(s) done; {now}"


class RunProgress:
    """Redraws the progress line twice a second from a background thread; a no-op off a terminal."""

    def __init__(self, production_id: str, catalog: Catalog, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr  # the stderr of now, not of when the command was first imported
        self.production_id, self.catalog, self.stream = production_id, catalog, stream
        self.enabled = stream.isatty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._width = 0

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()

    def _loop(self) -> None:
        from tasks.production import progress_text

        started = time.monotonic()
        while not self._stop.wait(0.5):
            try:
                info = self.catalog.show_production(self.production_id)
            except KeyError:
                info = None
            except Exception:  # noqa: BLE001 - the display must never break a run (e.g. a busy database)
                continue
            line = progress_line(info, progress_text(self.production_id), time.monotonic() - started)[:150]
            self._width = max(self._width, len(line))
            self.stream.write("\r" + line.ljust(self._width))
            self.stream.flush()
