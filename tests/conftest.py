"""Test-wide fixtures: an isolated DH_HOME per session, one Prefect test harness, the demo's inputs,
and a real PostgreSQL server for the catalog cases.

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
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]

# CI runs the property tests on a fixed sequence of examples, so a verdict is reproducible; elsewhere each
# run draws new examples (a failure prints the example to rerun)
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs a Prefect flow is an end-to-end test: marked slow (`-m "not slow"` skips them)."""
    for item in items:
        if "prefect_api" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("dh_home")
    os.environ["DH_HOME"] = str(home)
    os.environ.pop("DH_DATABASE_URL", None)
    os.environ.pop("DH_MODELS_DIR", None)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture
def dh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data home for one test."""
    home = tmp_path / "dh_home"
    monkeypatch.setenv("DH_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def demo_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short version of the demo's inputs: 1.5 s of dance, beat, astronaut photo, dancer video."""
    from dhcore.demo.assets import write_dance_assets

    folder = tmp_path_factory.mktemp("demo")
    write_dance_assets(folder / "assets", seconds=1.5)
    return folder


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


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server; dropped afterwards."""
    from dhcore.catalog.db import dispose_all

    name = f"dh_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    dispose_all()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-protocol server: DH_TEST_S3_ENDPOINT (.ci/run starts moto's server), else moto_server
    started here from the environment's bin folder; skipped when neither exists."""
    if url := os.environ.get("DH_TEST_S3_ENDPOINT"):
        yield url
        return
    exe = Path(sys.executable).with_name("moto_server")
    if not exe.is_file():
        pytest.skip("moto_server not installed and DH_TEST_S3_ENDPOINT not set")
    port = _free_port()
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    import time

    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=2)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline and proc.poll() is None, "moto_server did not start"
            time.sleep(0.3)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def s3_store_url(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the test S3 server, with the endpoint and dummy credentials in the environment."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "dh-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dh-test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"dh-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/assets"
