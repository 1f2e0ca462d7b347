"""Catalog queries an operator's batch needs: attempts per spec, running productions, invalid specs.

Kept apart from repo.py (the stage-facing writes) so operations code does not grow that module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from dhcore.catalog.db import session_scope
from dhcore.catalog.models import Asset, Production, RejectedSpec, SpecRow, StepRun, utcnow


@dataclass(frozen=True)
class RunningProduction:
    production_id: str
    flow_run_id: str | None
    host: str
    pid: int
    created_at: datetime


def failed_attempts(spec_sha256: str, url: str | None = None) -> int:
    """How many productions of this spec ended failed or crashed."""
    with session_scope(url) as s:
        return s.scalar(
            select(func.count(Production.id))
            .join(SpecRow)
            .where(SpecRow.sha256 == spec_sha256, Production.status.in_(("failed", "crashed")))
        ) or 0  # fmt: skip


def running_productions(url: str | None = None) -> list[RunningProduction]:
    with session_scope(url) as s:
        rows = s.execute(
            select(
                Production.id, Production.flow_run_id, Production.host, Production.pid, Production.created_at
            ).where(Production.status == "running")
        )
        return [RunningProduction(*row) for row in rows]


def mark_lost(production_id: str, reason: str, url: str | None = None) -> bool:
    """Mark a still-running production (and its running steps) crashed; False if it had finished meanwhile."""
    with session_scope(url) as s:
        prod = s.get(Production, production_id)
        if prod is None or prod.status != "running":
            return False
        prod.status, prod.error, prod.finished_at = "crashed", reason, utcnow()
        s.execute(
            update(StepRun)
            .where(StepRun.production_id == production_id, StepRun.status == "running")
            .values(status="crashed", error=reason, finished_at=utcnow())
        )
        return True


def note_rejected(file_sha256: str, path: str, error: str, url: str | None = None) -> bool:
    """Remember an invalid spec file; True the first time these bytes are seen (report it then)."""
    with session_scope(url) as s:
        if s.get(RejectedSpec, file_sha256) is not None:
            return False
        s.add(RejectedSpec(file_sha256=file_sha256, path=path, error=error))
        return True


def production_sizes(production_ids: list[str], url: str | None = None) -> dict[str, tuple[int, int]]:
    """(bytes in the store, bytes pruned) of the files each production's own steps wrote."""
    sizes = {pid: (0, 0) for pid in production_ids}
    with session_scope(url) as s:
        rows = s.execute(
            select(StepRun.production_id, Asset.size, Asset.pruned_at)
            .join(Asset, Asset.produced_by == StepRun.id)
            .where(StepRun.production_id.in_(production_ids))
        )
        for pid, size, pruned_at in rows:
            kept, pruned = sizes[pid]
            sizes[pid] = (kept, pruned + size) if pruned_at else (kept + size, pruned)
    return sizes
