"""Content-addressed asset files under DH_HOME/assets.

A stage writes into a scratch folder; `ingest` hashes the finished file and moves it to
assets/<sha[:2]>/<sha><suffix> with one atomic rename, read-only. A file therefore appears
under its final name only when complete, and the same bytes are stored once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

from dhcore import config, limits
from dhcore.errors import InputError

CHUNK = 1 << 20
SEP = "--"
HOST = socket.gethostname().replace(SEP, "-") or "host"


def _owner(pid: int | None = None) -> str:
    """host-pid-starttime of a process: a pid alone may be reused by another process later."""
    pid = os.getpid() if pid is None else pid
    started = int(psutil.Process(pid).create_time() * 1000)
    return f"{HOST}_{pid}_{started}"


def _owner_alive(owner: str) -> bool:
    host, pid, _ = ([*owner.rsplit("_", 2), "", ""])[:3]
    if host != HOST or not pid.isdigit():
        return True  # another host's folder (or not ours to judge): kept
    try:
        return _owner(int(pid)) == owner
    except psutil.Error:
        return False


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size: int


def sha256_path(path: Path) -> str:
    """sha256 of a file, or of a folder's sorted (relative name, file sha256) pairs."""
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f"{f.relative_to(path).as_posix()}\0{sha256_path(f)}\n".encode())
        return h.hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _check_contained(folder: Path) -> None:
    base = folder.resolve()
    for parent, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            entry = Path(parent) / name
            target = entry.resolve()
            if not target.is_relative_to(base):
                raise InputError(f"{entry} resolves to {target}, outside its folder {base}")
            if problem := limits.special_file_problem(target):
                raise InputError(f"{entry}: {problem}")


def owned_scratch(parent: Path) -> Path:
    """A new scratch folder under `parent`, named after its owner process (see `sweep_dead_scratch`)."""
    path = parent / f"{_owner()}{SEP}{uuid.uuid4().hex}"
    path.mkdir(parents=True)
    return path


def sweep_dead_scratch(parent: Path) -> list[Path]:
    """Remove the scratch folders under `parent` whose owner process on this host is gone."""
    removed: list[Path] = []
    for folder in parent.iterdir() if parent.is_dir() else []:
        if SEP not in folder.name or _owner_alive(folder.name.rsplit(SEP, 1)[0]):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class AssetStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or config.store_dir()).resolve()

    def scratch(self) -> Path:
        """A fresh folder on the store's file system for a stage to write into.

        Its name carries the owner (host, pid and the process's start time) so that the next
        run, or `dh gc`, can remove the folders of processes killed before they cleaned up.
        """
        return owned_scratch(self.root / "tmp")

    def sweep_scratch(self, stale_part_seconds: float = 6 * 3600) -> list[Path]:
        """Remove scratch folders of dead processes on this host, and stale partial store files.

        Folders of live processes and of other hosts are kept (a process on another host may
        still be writing); returns what was removed.
        """
        removed = sweep_dead_scratch(self.root / "tmp")
        cutoff = time.time() - stale_part_seconds
        for part in self.root.glob("*/.*.part"):
            try:
                if part.lstat().st_mtime < cutoff:
                    (shutil.rmtree if part.is_dir() else os.unlink)(part)
                    removed.append(part)
            except OSError:
                continue
        return removed

    def path_for(self, sha256: str, suffix: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def ingest(self, path: Path, move: bool = True, sha256: str | None = None) -> StoredFile:
        """Put a finished file in the store (moved, or copied when `move` is False); `sha256`: its
        digest when already known (dhcore.catalog.digests)."""
        path = Path(path)
        if problem := limits.special_file_problem(path):  # a FIFO would block the copy forever
            raise InputError(f"{path}: {problem}")
        digest = sha256 or sha256_path(path)
        suffix = "".join(path.suffixes[-2:]) if path.name.endswith(".pose.npz") else path.suffix
        final = self.path_for(digest, suffix)
        size = path.stat().st_size
        if final.exists() and final.stat().st_size == size:
            if move:
                path.unlink()
            return StoredFile(final, digest, size)
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
        if move:
            shutil.move(path, staging)  # a rename on the same file system
        else:
            shutil.copyfile(path, staging)
        os.chmod(staging, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(staging, final)
        return StoredFile(final, digest, size)

    def ingest_folder(self, folder: Path) -> StoredFile:
        """A folder input (OpenPose JSON frames) copied under its content hash.

        Every entry must resolve inside the folder and be a regular file or folder: a symlink to
        a file elsewhere would copy it into the store (checked again here, after validation).
        """
        _check_contained(folder)
        digest = sha256_path(folder)
        final = self.root / digest[:2] / digest
        if not final.exists():
            staging = final.with_name(f".{digest}.{uuid.uuid4().hex}.part")
            shutil.copytree(folder, staging)
            os.replace(staging, final)
        size = sum(p.stat().st_size for p in final.rglob("*") if p.is_file())
        return StoredFile(final, digest, size)

    def delete(self, uri: str) -> None:
        """Remove a stored file or folder (retention); a missing one is fine."""
        path = Path(uri)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def discard(self, scratch: Path) -> None:
        shutil.rmtree(scratch, ignore_errors=True)

    def intact(self, path: str | Path, size: int) -> bool:
        """Cheap check that a catalogued file is still there (hash checks are `dh catalog verify`)."""
        p = Path(path)
        try:
            return p.is_dir() or p.stat().st_size == size
        except OSError:
            return False
