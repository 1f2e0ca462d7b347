"""Catalog backends under test: SQLite always; PostgreSQL when a server is available.

.ci/run starts a PostgreSQL server from Debian's packages and exports DH_TEST_POSTGRES_URL.
Without it, a throwaway cluster is started here when the server binaries are installed;
otherwise the PostgreSQL cases are skipped with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dhcore.catalog.repo import Catalog
from dhcore.catalog.store import AssetStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if url := os.environ.get("DH_TEST_POSTGRES_URL"):
        yield url
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL server binaries not installed and DH_TEST_POSTGRES_URL not set")
    bindir = Path(bins[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="dh-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    run = lambda argv: subprocess.run(_as_postgres(argv), check=True, capture_output=True)  # noqa: E731
    run([str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres"])
    run([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w", "start",
         "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1"])  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "fast", "stop"]),
                       capture_output=True)  # fmt: skip
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    store = AssetStore(tmp_path / "assets")
    if request.param == "sqlite":
        yield Catalog(f"sqlite:///{tmp_path / 'catalog.db'}", store)
        return
    base = request.getfixturevalue("postgres_url")
    name = f"dh_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    yield Catalog(url, store)
    from dhcore.catalog.db import dispose_all

    dispose_all()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
