"""File digests: an unchanged file is hashed once per host; any change to it is noticed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from dhcore.catalog import digests
from dhcore.catalog.repo import Catalog


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files digests actually read (the real hashing, observed)."""
    seen: list[Path] = []
    real = digests.sha256_path

    def observed(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(digests, "sha256_path", observed)
    return seen


def test_an_unchanged_file_is_read_once(catalog: Catalog, tmp_path: Path, reads: list[Path]) -> None:
    video = tmp_path / "motion.mp4"
    video.write_bytes(os.urandom(300_000))
    want = hashlib.sha256(video.read_bytes()).hexdigest()
    assert digests.file_sha256(video, catalog.url) == want
    assert digests.file_sha256(video, catalog.url) == want
    assert reads == [video]


def test_a_changed_file_is_read_again_even_with_its_old_size_and_mtime(
    catalog: Catalog, tmp_path: Path, reads: list[Path]
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"a" * 1000)
    digests.file_sha256(photo, catalog.url)
    st = photo.stat()
    photo.write_bytes(b"b" * 1000)  # same size; the mtime put back as `cp -p` or `touch -d` would
    os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert digests.file_sha256(photo, catalog.url) == hashlib.sha256(b"b" * 1000).hexdigest()
    assert len(reads) == 2


def test_register_input_uses_the_remembered_digest(
    catalog: Catalog, tmp_path: Path, reads: list[Path]
) -> None:
    photo = tmp_path / "in" / "photo.png"
    photo.parent.mkdir()
    photo.write_bytes(os.urandom(5000))
    first = catalog.register_input(photo, "image", "reference")
    again = catalog.register_input(photo, "image", "reference")
    assert first == again and first.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert Path(first.path).read_bytes() == photo.read_bytes()
    assert reads == [photo.resolve()]
