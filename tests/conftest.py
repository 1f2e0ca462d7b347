"""Test-wide isolation: every test session gets its own DH_HOME, so nothing touches a real catalog."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
