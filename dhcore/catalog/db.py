"""Engines and sessions for the catalog: SQLite (WAL) by default, PostgreSQL by URL.

The schema is brought up to date with Alembic on first use of an engine in a process, with
one migrator at a time: a file lock next to a SQLite catalog, an advisory lock on PostgreSQL
(so processes on several hosts can start at once). A new SQLite catalog is built under a
temporary name and renamed into place when complete, so a full disk or a kill never leaves a
half-made catalog behind. A full disk is a StorageFullError naming the device and path,
never a retried "OperationalError".
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dhcore import config
from dhcore.errors import DhError

MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class StorageFullError(DhError):
    """No space left where the catalog or the store writes. Never retried: space must be freed."""


#: Any key shared by every dh process: the PostgreSQL advisory lock serializing migrations.
PG_MIGRATION_LOCK = 0x64685F6D6967  # "dh_mig"


def get_engine(url: str | None = None) -> Engine:
    """One migrated engine per URL per process."""
    url = url or config.database_url()
    with _lock:
        if url in _engines:
            return _engines[url]
        parsed = make_url(url)
        try:
            if parsed.get_backend_name() == "sqlite":
                engine = _sqlite_engine(url, parsed.database)
            else:
                engine = create_engine(url, pool_pre_ping=True)
                _migrate(engine, url)
        except OperationalError as exc:
            if full := _disk_full(exc, parsed.database):
                raise full from exc
            raise
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StorageFullError(no_space_message(Path(parsed.database or "."))) from exc
            raise
        _engines[url] = engine
        return engine


def _new_sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _migrate(engine: Engine, url: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:":
        engine = _new_sqlite_engine(url)
        _migrate(engine, url)
        return engine
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when killed
        if not path.exists():
            for leftover in path.parent.glob(f".{path.name}.*.creating*"):  # of a killed creator
                leftover.unlink(missing_ok=True)
            _create_sqlite(path)
        engine = _new_sqlite_engine(url)
        try:
            _migrate(engine, url)
        except BaseException:
            engine.dispose()
            raise
    return engine


def _create_sqlite(path: Path) -> None:
    """Build a new catalog under a temporary name; only a complete one is renamed into place."""
    building = path.with_name(f".{path.name}.{os.getpid()}.creating")
    url = f"sqlite:///{building}"
    engine = create_engine(url)  # rollback journal: one file to rename
    try:
        _migrate(engine, url)
        engine.dispose()
        os.replace(building, path)
    except BaseException:
        engine.dispose()
        for leftover in (building, building.with_name(building.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise


def no_space_message(path: Path) -> str:
    path = path.resolve()
    mount = next((p for p in (path, *path.parents) if os.path.ismount(p)), Path("/"))
    device = _device_of(mount)
    try:
        free = shutil.disk_usage(mount).free
    except OSError:
        free = -1
    return (
        f"no space left on {device} (mounted at {mount}) while writing {path}; "
        f"{free // (1 << 20)} MiB free: free some space and run again"
    )


def _device_of(mount: Path) -> str:
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 1 and fields[1] == str(mount):
                return fields[0]
    except OSError:
        pass
    return "the device"


def _disk_full(exc: BaseException, database: str | None) -> StorageFullError | None:
    """SQLite says "database or disk is full" where the OS said ENOSPC: name the device instead."""
    text_ = str(exc).lower()
    if "disk is full" in text_ or "no space left" in text_:
        where = Path(database) if database and database != ":memory:" else config.dh_home()
        return StorageFullError(no_space_message(where))
    return None


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(get_engine(url), expire_on_commit=False)
    try:
        with factory() as session, session.begin():
            yield session
    except OperationalError as exc:
        if full := _disk_full(exc, make_url(url or config.database_url()).database):
            raise full from exc
        raise
