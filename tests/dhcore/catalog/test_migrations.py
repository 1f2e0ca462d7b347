"""Alembic migrations: a catalog made by an older dh is upgraded in place, its rows kept."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from dhcore.catalog.db import alembic_config
from dhcore.catalog.repo import Catalog


def test_database_at_0001_is_upgraded_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO spec (sha256, kind, name, source_path, raw_yaml, normalized, created_at) "
            "VALUES ('s', 'dance_video', 'old', '/old.yaml', '', '{}', '2026-01-01')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO production (id, spec_id, name, status, host, pid, created_at) "
            "VALUES ('p0', 1, 'old', 'succeeded', 'h', 1, '2026-01-01')"
        ))  # fmt: skip
    assert "warnings" not in {c["name"] for c in inspect(engine).get_columns("production")}
    engine.dispose()

    catalog = Catalog(url)
    info = catalog.show_production("p0")  # first use migrates to head
    assert info["status"] == "succeeded" and info["warnings"] == []
    with create_engine(url).connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_production_and_stage_warnings_are_kept(tmp_path: Path) -> None:
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.db'}")
    sid = catalog.record_spec("w" * 64, "photo_shoot", "w", "/w.yaml", "", {})
    prod = catalog.start_production(sid, "w", None)
    step = catalog.start_step(prod, "animate.warp", "1", {}, None, "k", {})
    catalog.finish_step(step, {}, {}, {}, 1, 0.1, ["not animated: r_leg"])
    catalog.finish_production(prod, "succeeded", warnings=["only 3 of 12 images passed"])
    assert catalog.show_production(prod)["warnings"] == [
        "only 3 of 12 images passed",
        "animate.warp: not animated: r_leg",
    ]
