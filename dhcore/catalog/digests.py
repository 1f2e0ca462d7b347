"""sha256 of files that rarely change (user inputs, weights), remembered in the catalog.

A production hashes its inputs for cache keys and lineage. The digest of a file is kept by
(host, absolute path) with the file's size, mtime and ctime (ctime cannot be set back by `touch`
or `cp -p`), and reused while all three are unchanged, as git and rsync judge files. A file
that changes while it is read is hashed but not remembered.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sqlalchemy.exc import IntegrityError, OperationalError

from dhcore.catalog.db import session_scope
from dhcore.catalog.models import FileDigest
from dhcore.catalog.store import sha256_path

HOST = socket.gethostname()


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


def file_sha256(path: Path, url: str | None = None) -> str:
    """The sha256 of a regular file, read only when the catalog has no digest for it as it is now."""
    path = Path(path).resolve()
    before = _stamp(path.stat())
    key = (HOST, str(path))
    with session_scope(url) as s:
        row = s.get(FileDigest, key)
        if row is not None and (row.size, row.mtime_ns, row.ctime_ns) == before:
            return row.sha256
    digest = sha256_path(path)
    if _stamp(path.stat()) != before:  # written to while we read it: right for now, not for later
        return digest
    size, mtime_ns, ctime_ns = before
    try:
        with session_scope(url) as s:
            s.merge(FileDigest(host=HOST, path=str(path), size=size, mtime_ns=mtime_ns, ctime_ns=ctime_ns,
                               sha256=digest))  # fmt: skip
    except (IntegrityError, OperationalError):  # another process remembered it first, or a busy catalog
        pass
    return digest
