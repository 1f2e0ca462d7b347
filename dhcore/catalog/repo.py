"""Catalog operations: the only place that writes rows.

Invariants kept here: an asset row exists only for a complete file in the store; a step run's
outputs, lineage edges, metrics and its `succeeded` status are written in one transaction;
runs whose process died are marked `crashed`, never left `running`.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from dhcore.catalog import lease
from dhcore.catalog.db import session_scope
from dhcore.catalog.digests import file_sha256
from dhcore.catalog.models import (
    Asset,
    AssetInput,
    Metric,
    Production,
    ProductionOutput,
    SpecRow,
    StepLease,
    StepRun,
    utcnow,
)
from dhcore.catalog.objstore import local_path, open_store
from dhcore.catalog.store import AssetStore, StoredFile
from dhcore.errors import DhError

HOST = socket.gethostname()


@dataclass(frozen=True)
class AssetRef:
    """What tasks pass around: enough to read the file and to key caches on its content."""

    id: int
    kind: str
    uri: str  # a local path, or s3://... on object storage
    sha256: str
    size: int
    media: dict[str, Any]

    @property
    def path(self) -> str:
        """A local file to read: the stored file itself, or a cached download from object storage."""
        return str(local_path(self.uri)) if self.uri.startswith("s3://") else self.uri

    @classmethod
    def of(cls, row: Asset) -> AssetRef:
        return cls(row.id, row.kind, row.uri, row.sha256, row.size, dict(row.media or {}))


@dataclass(frozen=True)
class CachedStep:
    step_run_id: int
    outputs: dict[str, AssetRef]
    frames: int
    metrics: dict[str, float]
    warnings: list[str]


class Catalog:
    def __init__(self, url: str | None = None, store: AssetStore | None = None) -> None:
        self.url = url
        self.store = store or open_store()

    # -- specs and productions -------------------------------------------------------------
    def record_spec(
        self, sha256: str, kind: str, name: str, source_path: str, raw: str, normalized: dict
    ) -> int:
        with session_scope(self.url) as s:
            row = s.scalar(select(SpecRow).where(SpecRow.sha256 == sha256))
            if row is None:
                row = SpecRow(
                    sha256=sha256,
                    kind=kind,
                    name=name,
                    source_path=source_path,
                    raw_yaml=raw,
                    normalized=normalized,
                )
                s.add(row)
                s.flush()
            return row.id

    def start_production(
        self, spec_id: int, name: str, flow_run_id: str | None, production_id: str | None = None
    ) -> str:
        pid = production_id or uuid.uuid4().hex
        with session_scope(self.url) as s:
            s.add(
                Production(
                    id=pid, spec_id=spec_id, name=name, flow_run_id=flow_run_id, host=HOST, pid=os.getpid()
                )
            )
        return pid

    def finish_production(
        self, production_id: str, status: str, error: str | None = None, warnings: list[str] | None = None
    ) -> None:
        with session_scope(self.url) as s:
            prod = s.get(Production, production_id)
            if prod is None:
                raise KeyError(production_id)
            prod.status, prod.error, prod.finished_at = status, error, utcnow()
            prod.warnings = list(warnings or [])
            if status != "succeeded":
                s.execute(
                    update(StepRun)
                    .where(StepRun.production_id == production_id, StepRun.status == "running")
                    .values(status="failed", error=error or "production stopped", finished_at=utcnow())
                )

    def set_outputs(self, production_id: str, outputs: dict[str, int]) -> None:
        with session_scope(self.url) as s:
            for role, asset_id in outputs.items():
                s.merge(ProductionOutput(production_id=production_id, role=role, asset_id=asset_id))

    def add_metrics(
        self, production_id: str, metrics: dict[str, float], step_run_id: int | None = None
    ) -> None:
        with session_scope(self.url) as s:
            s.add_all(
                Metric(production_id=production_id, step_run_id=step_run_id, name=k, value=v)
                for k, v in metrics.items()
            )

    def produced_spec(self, sha256: str) -> str | None:
        """Id of a delivered (succeeded or needs_review) or still running production of this spec: batch dedupe."""
        with session_scope(self.url) as s:
            return s.scalar(
                select(Production.id)
                .join(SpecRow)
                .where(
                    SpecRow.sha256 == sha256, Production.status.in_(("succeeded", "needs_review", "running"))
                )
                .limit(1)
            )

    def mark_crashed(self) -> int:
        """Mark rows of dead processes on this host as crashed; returns how many productions.

        Also removes the scratch folders those processes left behind.
        """
        self.store.sweep_scratch()
        with session_scope(self.url) as s:
            running = s.scalars(
                select(Production).where(Production.status == "running", Production.host == HOST)
            )
            dead = [p for p in running if not _alive(p.pid)]
            for prod in dead:
                prod.status, prod.finished_at = "crashed", utcnow()
                prod.error = prod.error or f"process {prod.pid} on {prod.host} died while running"
            steps = s.scalars(select(StepRun).where(StepRun.status == "running", StepRun.host == HOST))
            for step in steps:
                if not _alive(step.pid):
                    step.status, step.finished_at = "crashed", utcnow()
                    step.error = step.error or f"process {step.pid} died while running"
            return len(dead)

    # -- leases: one computation per cache key ------------------------------------------------
    host = HOST

    def cache_lease(self, cache_key: str, ttl: float = lease.TTL) -> Any:
        """Context manager: wait for and hold `cache_key`'s lease while computing it."""
        return lease.hold(self, cache_key, ttl)

    def try_lease(self, cache_key: str, holder: str, ttl: float) -> bool:
        """Take the lease if it is free, expired, or held by a dead process on this host."""
        now = time.time()
        try:
            with session_scope(self.url) as s:
                row = s.get(StepLease, cache_key)
                if row is None:
                    s.add(StepLease(cache_key=cache_key, holder=holder, host=HOST, pid=os.getpid(),
                                    expires_at=now + ttl))  # fmt: skip
                    s.flush()
                    return True
                dead = row.expires_at < now or (row.host == HOST and not _alive(row.pid))
                if row.holder != holder and not dead:
                    return False
                taken = s.execute(
                    update(StepLease)
                    .where(StepLease.cache_key == cache_key, StepLease.holder == row.holder,
                           StepLease.expires_at == row.expires_at)
                    .values(holder=holder, host=HOST, pid=os.getpid(), expires_at=now + ttl)
                )  # fmt: skip
                return taken.rowcount == 1
        except IntegrityError:  # another process inserted it first
            return False

    def renew_lease(self, cache_key: str, holder: str, ttl: float) -> bool:
        with session_scope(self.url) as s:
            done = s.execute(
                update(StepLease)
                .where(StepLease.cache_key == cache_key, StepLease.holder == holder)
                .values(expires_at=time.time() + ttl)
            )
            return done.rowcount == 1

    def release_lease(self, cache_key: str, holder: str) -> None:
        with session_scope(self.url) as s:
            s.execute(delete(StepLease).where(StepLease.cache_key == cache_key, StepLease.holder == holder))

    # -- step runs ---------------------------------------------------------------------------
    def register_input(self, path: Path, kind: str, role: str, media: dict | None = None) -> AssetRef:
        """Copy a user's input file into the store and catalogue it (no producer).

        An unchanged file is not hashed again (its digest is remembered: dhcore.catalog.digests)."""
        if path.is_dir():
            stored = self.store.ingest_folder(path)
        else:
            known = file_sha256(path, self.url) if path.is_file() else None  # never read a FIFO here
            stored = self.store.ingest(path, move=False, sha256=known)
        with session_scope(self.url) as s:
            row = s.scalar(
                select(Asset).where(
                    Asset.sha256 == stored.sha256,
                    Asset.produced_by.is_(None),
                    Asset.kind == kind,
                    Asset.role == role,
                )
            )
            if row is None:
                row = Asset(
                    kind=kind, uri=str(stored.path), sha256=stored.sha256, size=stored.size, media=media or {},
                    role=role, source_path=str(path),
                )  # fmt: skip
                s.add(row)
                s.flush()
            return AssetRef.of(row)

    def name_user_files(self, exc: BaseException, inputs: dict[str, AssetRef]) -> BaseException:
        """`exc` with the store copies of the user's input files named by the user's own paths.

        "…/assets/3f/3f9a….mp4: cannot decode frame 93" means nothing to the person who wrote
        `motion: {path: dance.mp4}`. Only dh's own errors (DhError) are rewritten, same type.
        """
        if not isinstance(exc, DhError) or not inputs:
            return exc
        message = self.name_user_files_in(str(exc), inputs)
        if message == str(exc):
            return exc
        try:
            return type(exc)(message)
        except TypeError:  # a subclass with another signature: keep it
            return exc

    def name_user_files_in(self, text: str, inputs: dict[str, AssetRef]) -> str:
        """`text` (an error, a stage's warning) with the store copies of input files named by the user's paths."""
        if not inputs:
            return text
        with session_scope(self.url) as s:
            rows = s.execute(
                select(Asset.uri, Asset.source_path).where(
                    Asset.id.in_([r.id for r in inputs.values()]), Asset.source_path.is_not(None)
                )
            ).all()
        for uri, source in rows:  # the whole path, else its content-hash name alone (a stage's "name: ...")
            text = text.replace(uri, source).replace(Path(uri).name, source)
        return text

    def find_cached(self, stage: str, cache_key: str) -> CachedStep | None:
        """The newest succeeded run with this key whose output files are all still intact."""
        with session_scope(self.url) as s:
            candidates = s.scalars(
                select(StepRun)
                .where(
                    StepRun.stage == stage,
                    StepRun.cache_key == cache_key,
                    StepRun.status == "succeeded",
                    StepRun.cache_hit.is_(False),
                )  # fmt: skip
                .order_by(StepRun.id.desc())
                .limit(3)
            )
            for step in candidates:
                outputs = {a.role: AssetRef.of(a) for a in step.outputs}
                if all(self.store.intact(a.uri, a.size) for a in outputs.values()):
                    metrics = {
                        m.name: m.value
                        for m in s.scalars(
                            select(Metric).where(Metric.step_run_id == step.id, Metric.frame.is_(None))
                        )
                        if m.value is not None
                    }
                    return CachedStep(step.id, outputs, step.frames, metrics, list(step.warnings or []))
            return None

    def start_step(
        self, production_id: str, stage: str, version: str, params: dict[str, Any], weights_sha256: str | None,
        cache_key: str, inputs: dict[str, AssetRef], task_run_id: str | None = None,
        cached: CachedStep | None = None,
    ) -> int:  # fmt: skip
        with session_scope(self.url) as s:
            step = StepRun(
                production_id=production_id, stage=stage, version=version, params=params,
                weights_sha256=weights_sha256, cache_key=cache_key, host=HOST, pid=os.getpid(),
                task_run_id=task_run_id,
            )  # fmt: skip
            if cached is not None:
                step.status, step.cache_hit, step.source_step_run_id = "succeeded", True, cached.step_run_id
                step.frames, step.seconds, step.finished_at = cached.frames, 0.0, utcnow()
                step.warnings = cached.warnings
            s.add(step)
            s.flush()
            s.add_all(
                AssetInput(step_run_id=step.id, role=role, asset_id=ref.id) for role, ref in inputs.items()
            )
            if cached is not None and cached.metrics:
                s.add_all(
                    Metric(production_id=production_id, step_run_id=step.id, name=k, value=v)
                    for k, v in cached.metrics.items()
                )
            return step.id

    def finish_step(
        self, step_run_id: int, outputs: dict[str, tuple[StoredFile, str, dict[str, Any]]],
        metrics: dict[str, float], series: dict[str, list[float | None]], frames: int, seconds: float,
        warnings: list[str] | None = None,
    ) -> dict[str, AssetRef]:  # fmt: skip
        """Catalogue a finished step's files, metrics and status in one transaction."""
        with session_scope(self.url) as s:
            step = s.get(StepRun, step_run_id)
            assert step is not None
            rows = {}
            for role, (stored, kind, media) in outputs.items():
                row = Asset(
                    kind=kind, uri=str(stored.path), sha256=stored.sha256, size=stored.size,
                    media=media, role=role, produced_by=step.id,
                )  # fmt: skip
                s.add(row)
                rows[role] = row
            # one multi-row insert, no ORM objects: a face stage's per-frame series are thousands of rows
            owner = {"production_id": step.production_id, "step_run_id": step.id}
            figures = [owner | {"name": k, "value": float(v), "frame": None} for k, v in metrics.items()]
            figures += [
                owner | {"name": name, "value": v, "frame": i}
                for name, values in series.items()
                for i, v in enumerate(values)
            ]
            if figures:
                s.execute(insert(Metric), figures)
            step.status, step.frames, step.seconds, step.finished_at = "succeeded", frames, seconds, utcnow()
            step.warnings = list(warnings or [])
            s.flush()
            return {role: AssetRef.of(row) for role, row in rows.items()}

    def fail_step(self, step_run_id: int, error: str, seconds: float | None = None) -> None:
        with session_scope(self.url) as s:
            step = s.get(StepRun, step_run_id)
            if step is not None:
                step.status, step.error, step.seconds, step.finished_at = "failed", error, seconds, utcnow()

    # -- reading -----------------------------------------------------------------------------
    def list_productions(self, limit: int = 50) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            rows = s.scalars(select(Production).order_by(Production.created_at.desc()).limit(limit))
            return [_production_summary(p) for p in rows]

    def resolve_production_id(self, prefix: str) -> str:
        with session_scope(self.url) as s:
            ids = list(s.scalars(select(Production.id).where(Production.id.startswith(prefix)).limit(2)))
        if len(ids) != 1:
            raise KeyError(
                f"no production with id {prefix!r}" if not ids else f"id prefix {prefix!r} is ambiguous"
            )
        return ids[0]

    def show_production(self, production_id: str) -> dict[str, Any]:
        with session_scope(self.url) as s:
            prod = s.get(Production, production_id)
            if prod is None:
                raise KeyError(f"no production with id {production_id!r}")
            out = _production_summary(prod)
            out["spec"] = {
                "sha256": prod.spec.sha256,
                "source_path": prod.spec.source_path,
                "kind": prod.spec.kind,
                "normalized": prod.spec.normalized,
            }
            step_metrics: dict[int, dict[str, float | None]] = {}
            out["metrics"] = {}
            # per-frame series (thousands of rows) are counted here, not loaded: `series` reads them
            counts = s.execute(
                select(Metric.name, func.count())
                .where(Metric.production_id == production_id, Metric.frame.is_not(None))
                .group_by(Metric.name)
                .order_by(func.min(Metric.id))
            )
            series: dict[str, int] = {name: count for name, count in counts}
            figures = select(Metric).where(Metric.production_id == production_id, Metric.frame.is_(None))
            for m in s.scalars(figures.order_by(Metric.id)):
                if m.step_run_id is None:
                    out["metrics"][m.name] = m.value
                else:
                    step_metrics.setdefault(m.step_run_id, {})[m.name] = m.value
            out["stages"] = [
                _step_summary(st) | {"metrics": step_metrics.get(st.id, {})} for st in prod.steps
            ]
            out["series"] = series
            out["warnings"] = list(prod.warnings or []) + [
                f"{st.stage}: {w}" for st in prod.steps for w in (st.warnings or [])
            ]
            out["outputs"] = {o.role: _asset_summary(o.asset) for o in prod.outputs}
            out["assets"] = [
                _asset_summary(a) | {"produced_by": st.stage}
                for st in prod.steps
                for a in (st.outputs if not st.cache_hit else _source_outputs(s, st))
            ]
            inputs = {
                link.asset.id: link.asset
                for st in prod.steps
                for link in st.inputs
                if link.asset.produced_by is None
            }
            out["inputs"] = [_asset_summary(a) | {"source": a.source_path} for a in inputs.values()]
            return out

    def series(self, production_id: str, name: str) -> list[float | None]:
        with session_scope(self.url) as s:
            rows = s.execute(
                select(Metric.frame, Metric.value)
                .where(Metric.production_id == production_id, Metric.name == name, Metric.frame.is_not(None))
                .order_by(Metric.frame)
            )
            return [v for _, v in rows]

    def lineage(self, asset_id: int) -> dict[str, Any]:
        """The tree of step runs and assets an asset was made from, down to the user's inputs."""
        with session_scope(self.url) as s:
            return _lineage(s, asset_id, depth=0)

    def production_lineage(self, production_id: str) -> dict[str, Any]:
        with session_scope(self.url) as s:
            prod = s.get(Production, production_id)
            if prod is None:
                raise KeyError(f"no production with id {production_id!r}")
            return {
                "production_id": prod.id,
                "outputs": {o.role: _lineage(s, o.asset_id, depth=0) for o in prod.outputs},
            }

    def stats(self) -> dict[str, int]:
        with session_scope(self.url) as s:
            return {
                "productions": s.scalar(select(func.count()).select_from(Production)) or 0,
                "step_runs": s.scalar(select(func.count()).select_from(StepRun)) or 0,
                "assets": s.scalar(select(func.count()).select_from(Asset)) or 0,
            }


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _production_summary(p: Production) -> dict[str, Any]:
    return {
        "production_id": p.id, "name": p.name, "status": p.status, "error": p.error,
        "flow_run_id": p.flow_run_id, "created_at": _iso(p.created_at), "finished_at": _iso(p.finished_at),
    }  # fmt: skip


def _step_summary(st: StepRun) -> dict[str, Any]:
    return {
        "step_run_id": st.id, "name": st.stage, "version": st.version, "status": st.status,
        "cache_hit": st.cache_hit, "seconds": st.seconds, "frames": st.frames, "cache_key": st.cache_key,
        "error": st.error, "params": st.params,
    }  # fmt: skip


def _asset_summary(a: Asset) -> dict[str, Any]:
    return {
        "asset_id": a.id,
        "kind": a.kind,
        "role": a.role,
        "path": a.uri,
        "sha256": a.sha256,
        "size": a.size,
    }


def _source_outputs(s: Any, step: StepRun) -> list[Asset]:
    src = s.get(StepRun, step.source_step_run_id) if step.source_step_run_id else None
    return list(src.outputs) if src is not None else []


def _lineage(s: Any, asset_id: int, depth: int) -> dict[str, Any]:
    asset = s.get(Asset, asset_id)
    node: dict[str, Any] = _asset_summary(asset)
    if asset.produced_by is None or depth > 64:
        node["source"] = asset.source_path
        return node
    step = s.get(StepRun, asset.produced_by)
    node["step"] = {
        "stage": step.stage,
        "version": step.version,
        "step_run_id": step.id,
        "cache_key": step.cache_key,
    }
    node["inputs"] = {link.role: _lineage(s, link.asset_id, depth + 1) for link in step.inputs}
    return node
