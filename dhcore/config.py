"""Where dh keeps its data, read from the environment once per call.

DH_HOME            data home (default: $XDG_DATA_HOME/dh or ~/.local/share/dh)
DH_DATABASE_URL    SQLAlchemy URL of the catalog (default: SQLite file in DH_HOME)
DH_MODELS_DIR      local model folder (default: DH_HOME/models)
DH_ALLOWED_ROOTS   extra folders specs may reference, os.pathsep-separated
DH_INBOX           folder the batch deployment reads specs from (default: DH_HOME/inbox)
DH_STORE_URL       asset store: a folder or s3://bucket/prefix (dhcore.catalog.objstore)
"""

from __future__ import annotations

import os
from pathlib import Path


def dh_home() -> Path:
    if env := os.environ.get("DH_HOME"):
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return (Path(base) / "dh").resolve()


def database_url() -> str:
    return os.environ.get("DH_DATABASE_URL") or f"sqlite:///{dh_home() / 'catalog.db'}"


def store_dir() -> Path:
    return dh_home() / "assets"


def models_dir() -> Path:
    if env := os.environ.get("DH_MODELS_DIR"):
        return Path(env).expanduser().resolve()
    return dh_home() / "models"


def extra_allowed_roots() -> list[Path]:
    raw = os.environ.get("DH_ALLOWED_ROOTS", "")
    return [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]


def inbox_dir() -> Path:
    if env := os.environ.get("DH_INBOX"):
        return Path(env).expanduser().resolve()
    return dh_home() / "inbox"
