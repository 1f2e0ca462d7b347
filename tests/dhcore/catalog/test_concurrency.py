"""Catalog creation under concurrency and on a full disk: no half-made catalog, no retried 'OperationalError'."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text

from dhcore.catalog import db
from dhcore.catalog.db import StorageFullError, alembic_config
from dhcore.catalog.repo import Catalog

REPO = Path(__file__).resolve().parents[3]
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_processes_creating_one_catalog_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'catalog.db'}"
    code = f"from dhcore.catalog.repo import Catalog; print(Catalog({url!r}).stats()['productions'])"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert [(rc, out.strip()) for rc, out, _ in results] == [(0, b"0")] * 4, [e for *_, e in results]
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def test_full_disk_while_creating_leaves_no_catalog_and_names_the_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = db.create_engine

    def tiny_disk(url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        engine = real(url, **kwargs)
        # SQLite's own "database or disk is full" (SQLITE_FULL) after 3 pages: a disk that fills up
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA max_page_count=3"))
        return engine

    monkeypatch.setattr(db, "create_engine", tiny_disk)
    path = tmp_path / "catalog.db"
    with pytest.raises(
        StorageFullError, match=r"no space left on .+ \(mounted at /.*\) while writing .*catalog\.db"
    ):
        Catalog(f"sqlite:///{path}").stats()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.db.lock"]
    monkeypatch.setattr(db, "create_engine", real)
    db.dispose_all()
    assert Catalog(f"sqlite:///{path}").stats()["productions"] == 0
