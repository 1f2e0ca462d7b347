"""Catalog tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class SpecRow(Base):
    """A spec as submitted; identified by the sha256 of its normalized form."""

    __tablename__ = "spec"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    source_path: Mapped[str] = mapped_column(Text)
    raw_yaml: Mapped[str] = mapped_column(Text)
    normalized: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Production(Base):
    __tablename__ = "production"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("spec.id"))
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|succeeded|failed|crashed
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    #: what the production delivered with caveats (e.g. fewer portraits passed than asked for)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    spec: Mapped[SpecRow] = relationship()
    steps: Mapped[list[StepRun]] = relationship(back_populates="production", order_by="StepRun.id")
    metrics: Mapped[list[Metric]] = relationship(order_by="Metric.id")
    outputs: Mapped[list[ProductionOutput]] = relationship(order_by="ProductionOutput.role")


class StepRun(Base):
    """One execution (or cache hit) of a stage inside a production."""

    __tablename__ = "step_run"
    __table_args__ = (Index("ix_step_run_cache", "stage", "cache_key", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    production_id: Mapped[str] = mapped_column(ForeignKey("production.id"), index=True)
    stage: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    weights_sha256: Mapped[str | None] = mapped_column(String(64))
    cache_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|succeeded|failed|crashed
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    #: for a cache hit: the step run whose outputs were reused
    source_step_run_id: Mapped[int | None] = mapped_column(ForeignKey("step_run.id"))
    error: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    frames: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    task_run_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    production: Mapped[Production] = relationship(back_populates="steps")
    outputs: Mapped[list[Asset]] = relationship(back_populates="producer", foreign_keys="Asset.produced_by")
    inputs: Mapped[list[AssetInput]] = relationship(back_populates="step_run")


class Asset(Base):
    """An immutable file in the content-addressed store. Rows exist only for complete files."""

    __tablename__ = "asset"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # image|video|frames|pose|audio|json|openpose_dir
    uri: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    role: Mapped[str] = mapped_column(String(255))
    #: the step run that wrote it; NULL for inputs registered from a spec
    produced_by: Mapped[int | None] = mapped_column(ForeignKey("step_run.id"), index=True)
    #: for inputs: the file the user named
    source_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: when retention (`dh gc`) deleted the file; the row and its lineage stay
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    producer: Mapped[StepRun | None] = relationship(back_populates="outputs", foreign_keys=[produced_by])


class AssetInput(Base):
    """Lineage edge: a step run read an asset in a role."""

    __tablename__ = "asset_input"
    step_run_id: Mapped[int] = mapped_column(ForeignKey("step_run.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(255), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)

    step_run: Mapped[StepRun] = relationship(back_populates="inputs")
    asset: Mapped[Asset] = relationship()


class Metric(Base):
    __tablename__ = "metric"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    production_id: Mapped[str] = mapped_column(ForeignKey("production.id"), index=True)
    step_run_id: Mapped[int | None] = mapped_column(ForeignKey("step_run.id"))
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[float | None] = mapped_column(Float)
    #: per-frame series carry the frame index; production-level figures have NULL
    frame: Mapped[int | None] = mapped_column(Integer)


class ProductionOutput(Base):
    """What a production delivers (the final video, extras, a contact sheet...), by role."""

    __tablename__ = "production_output"
    production_id: Mapped[str] = mapped_column(ForeignKey("production.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(255), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))

    asset: Mapped[Asset] = relationship()


class StepLease(Base):
    """Who is computing a cache key now, so that two runs of one spec compute each stage once.

    The holder renews `expires_at` (seconds since the epoch) while it works; an expired lease,
    or one whose process on this host is gone, is taken over (on PostgreSQL across hosts).
    """

    __tablename__ = "step_lease"
    cache_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(300))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)


class RejectedSpec(Base):
    """An invalid spec file the batch has reported (by the sha256 of its bytes), so it is reported once."""

    __tablename__ = "rejected_spec"
    file_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FileDigest(Base):
    """The sha256 of a file on one host, valid while its size, mtime and ctime are unchanged.

    Cache keys need the content hash of every input and of the weights; re-reading an unchanged
    multi-GB motion video or the dlib models on every production is overhead, not work.
    """

    __tablename__ = "file_digest"
    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    ctime_ns: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
