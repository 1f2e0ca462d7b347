"""Catalog backends under test: SQLite always; PostgreSQL on the server of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dhcore.catalog.repo import Catalog
from dhcore.catalog.store import AssetStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    store = AssetStore(tmp_path / "assets")
    if request.param == "sqlite":
        yield Catalog(f"sqlite:///{tmp_path / 'catalog.db'}", store)
    else:
        yield Catalog(request.getfixturevalue("postgres_database"), store)
