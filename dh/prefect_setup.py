"""Prefect settings dh relies on, applied before Prefect is imported."""

from __future__ import annotations

import os


def configure() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    # ephemeral mode: a local SQLite-backed API started in-process when no PREFECT_API_URL is set
    os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "true")
