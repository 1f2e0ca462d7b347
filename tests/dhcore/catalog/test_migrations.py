"""Alembic migrations: a catalog made by an older dh is upgraded in place, its rows kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from dhcore.catalog.db import alembic_config
from dhcore.catalog.repo import Catalog
from dhcore.catalog.store import AssetStore


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


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_database_at_0002_gets_wide_role_and_stage_columns(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Roles such as `template_{64-character look name}` overflowed varchar(64) on PostgreSQL."""
    url = (
        f"sqlite:///{tmp_path / 'old.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_database")
    )
    command.upgrade(alembic_config(url), "0002")
    engine = create_engine(url)
    assert {c["name"]: getattr(c["type"], "length", None) for c in inspect(engine).get_columns("asset")}[
        "role"
    ] == 64
    engine.dispose()

    catalog = Catalog(url, AssetStore(tmp_path / "store"))  # first use migrates to head
    photo = tmp_path / "look.png"
    photo.write_bytes(b"not really a png")
    role = "template_" + "l" * 64
    ref = catalog.register_input(photo, "image", role)
    sid = catalog.record_spec("s" * 64, "photo_shoot", "s", "/s.yaml", "", {})
    prod = catalog.start_production(sid, "s", None)
    stage = "shoot.generate." + "b" * 100
    step = catalog.start_step(prod, stage, "1", {}, "d" * 64, "k" * 64, {role: ref})
    catalog.finish_step(step, {}, {"m" * 100: 1.0}, {}, 1, 0.1, [])
    info = catalog.show_production(prod)
    assert info["stages"][0]["name"] == stage and role in {a["role"] for a in info["inputs"]}
    engine = create_engine(url)
    widths = {
        c["name"]: getattr(c["type"], "length", None) for c in inspect(engine).get_columns("asset_input")
    }
    assert widths["role"] == 255
    engine.dispose()
