"""The content-addressed store: atomic, read-only, deduplicated files."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from dhcore.catalog.store import AssetStore, sha256_path


def test_ingest_moves_into_content_address_read_only(tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "store")
    scratch = store.scratch()
    f = scratch / "video.mp4"
    f.write_bytes(b"abc")
    stored = store.ingest(f)
    digest = hashlib.sha256(b"abc").hexdigest()
    assert stored.sha256 == digest and stored.size == 3
    assert stored.path == store.root / digest[:2] / f"{digest}.mp4"
    assert not f.exists() and not stat.S_IMODE(stored.path.stat().st_mode) & 0o222
    assert not list(stored.path.parent.glob(".*part"))


def test_same_content_is_stored_once_and_copy_keeps_source(tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "store")
    a = tmp_path / "a.png"
    a.write_bytes(b"same")
    first = store.ingest(a, move=False)
    assert a.exists()
    b = store.scratch() / "b.png"
    b.write_bytes(b"same")
    assert store.ingest(b).path == first.path and not b.exists()


def test_folder_hash_depends_on_names_and_content(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "0001.json").write_text("{}")
    h1 = sha256_path(d)
    (d / "0001.json").rename(d / "0002.json")
    assert sha256_path(d) != h1
    stored = AssetStore(tmp_path / "store").ingest_folder(d)
    assert (stored.path / "0002.json").read_text() == "{}" and stored.sha256 == sha256_path(d)
