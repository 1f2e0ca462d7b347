"""Retention: delete the intermediate files of finished productions, keep what matters.

Kept always: deliverables (any production's outputs), inputs (assets no step produced), and
every row (assets, step runs, lineage edges, metrics): a pruned asset keeps its row with
`pruned_at` set, so lineage stays complete. A pruned file fails the cache's intactness check,
so the step that made it is simply recomputed when a later production needs it.
Not touched: anything a running production produced or reads, and a file whose bytes another,
kept asset row also points at (the store is content-addressed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dhcore.catalog.db import session_scope
from dhcore.catalog.models import Asset, AssetInput, Production, ProductionOutput, StepRun, utcnow
from dhcore.catalog.store import AssetStore


@dataclass
class GcReport:
    candidates: int = 0
    pruned: int = 0
    freed_bytes: int = 0
    kept_bytes: int = 0  # intermediates left in the store (younger, or within the budget)
    pruned_ids: list[int] = field(default_factory=list)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def prune(
    store: AssetStore,
    url: str | None = None,
    older_than: timedelta | None = None,
    budget_bytes: int | None = None,
    dry_run: bool = False,
) -> GcReport:
    """Prune intermediates older than `older_than`, then oldest first until they fit `budget_bytes`.

    With neither limit every prunable intermediate goes.
    """
    report = GcReport()
    now = datetime.now(UTC)
    with session_scope(url) as s:
        running = select(StepRun.id).join(Production).where(Production.status == "running")
        busy = set(s.scalars(select(AssetInput.asset_id).where(AssetInput.step_run_id.in_(running))))
        busy |= set(s.scalars(select(Asset.id).where(Asset.produced_by.in_(running))))
        reused = select(StepRun.source_step_run_id).where(
            StepRun.id.in_(running), StepRun.cache_hit.is_(True)
        )
        busy |= set(s.scalars(select(Asset.id).where(Asset.produced_by.in_(reused))))
        delivered = set(s.scalars(select(ProductionOutput.asset_id)))
        rows = s.scalars(select(Asset).where(Asset.pruned_at.is_(None))).all()
        kept_uris = {a.uri for a in rows if a.produced_by is None or a.id in delivered or a.id in busy}
        prunable = sorted(
            (a for a in rows if a.produced_by is not None and a.uri not in kept_uris),
            key=lambda a: _aware(a.created_at),
        )
        by_uri: dict[str, list[Asset]] = {}
        for a in prunable:
            by_uri.setdefault(a.uri, []).append(a)
        files = list(by_uri.items())
        files.sort(key=lambda item: min(_aware(a.created_at) for a in item[1]))
        total = sum(group[0].size for _, group in files)
        report.candidates = len(files)
        chosen: list[tuple[str, list[Asset]]] = []
        for uri, group in files:
            newest = max(_aware(a.created_at) for a in group)
            too_old = older_than is not None and now - newest >= older_than
            over_budget = budget_bytes is not None and total > budget_bytes
            if too_old or over_budget or (older_than is None and budget_bytes is None):
                chosen.append((uri, group))
                total -= group[0].size
        report.kept_bytes = total
        stamp = utcnow()
        for _, group in chosen:
            report.pruned += len(group)
            report.freed_bytes += group[0].size
            report.pruned_ids += [a.id for a in group]
            for a in group:
                a.pruned_at = None if dry_run else stamp
    if (
        not dry_run
    ):  # rows first (committed above), then files: a crash here leaves files, never dangling rows
        for uri, _ in chosen:
            store.delete(uri)
    return report
