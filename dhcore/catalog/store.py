"""Content-addressed asset files under DH_HOME/assets.

A stage writes into a scratch folder; `ingest` hashes the finished file and moves it to
assets/<sha[:2]>/<sha><suffix> with one atomic rename, read-only. A file therefore appears
under its final name only when complete, and the same bytes are stored once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from dhcore import config

CHUNK = 1 << 20


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


class AssetStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or config.store_dir()).resolve()

    def scratch(self) -> Path:
        """A fresh folder on the store's file system for a stage to write into."""
        path = self.root / "tmp" / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def path_for(self, sha256: str, suffix: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def ingest(self, path: Path, move: bool = True) -> StoredFile:
        """Put a finished file in the store (moved, or copied when `move` is False)."""
        path = Path(path)
        digest = sha256_path(path)
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
        """A folder input (OpenPose JSON frames) copied under its content hash."""
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
