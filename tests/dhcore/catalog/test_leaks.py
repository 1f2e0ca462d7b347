"""Nothing escapes into the store, and nothing is left behind by killed processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from dhcore.catalog.store import AssetStore
from dhcore.errors import InputError

REPO = Path(__file__).resolve().parents[3]


def test_ingest_folder_refuses_links_out_of_the_folder_and_special_files(tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "store")
    folder = tmp_path / "poses"
    folder.mkdir()
    (folder / "000.json").write_text("{}")
    secret = tmp_path / "secret"
    secret.write_text("root:hash")
    (folder / "001.json").symlink_to(secret)
    with pytest.raises(InputError, match="outside its folder"):
        store.ingest_folder(folder)
    (folder / "001.json").unlink()
    os.mkfifo(folder / "002.json")
    with pytest.raises(InputError, match="a FIFO"):
        store.ingest_folder(folder)
    assert not any(p.is_file() for p in (tmp_path / "store").rglob("*"))
    with pytest.raises(InputError, match="a FIFO"):
        store.ingest(folder / "002.json", move=False)
    (folder / "002.json").unlink()
    (folder / "003.json").symlink_to(folder / "000.json")  # inside the folder: fine
    stored = store.ingest_folder(folder)
    assert sorted(p.name for p in stored.path.iterdir()) == ["000.json", "003.json"]


def _child(code: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)


def test_scratch_of_a_killed_process_is_swept_and_live_ones_kept(tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "store")
    mine = store.scratch()
    (mine / "frames.nut").write_bytes(b"x" * 100)
    code = (
        "import sys, time; from pathlib import Path; from dhcore.catalog.store import AssetStore\n"
        f"p = AssetStore(Path({str(store.root)!r})).scratch(); (p / 'half.nut').write_bytes(b'y')\n"
        "print(p, flush=True); time.sleep(60)\n"
    )
    child = _child(code)
    theirs = Path(child.stdout.readline().strip())
    assert theirs.is_dir()
    assert store.sweep_scratch() == []  # the child is alive
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert store.sweep_scratch() == [theirs]
    assert not theirs.exists() and mine.is_dir()
    old = store.root / "ab" / ".abc.mp4.0123.part"
    old.parent.mkdir()
    old.write_bytes(b"partial")
    os.utime(old, (time.time() - 7 * 3600,) * 2)
    assert store.sweep_scratch() == [old]


def test_ffmpeg_dies_with_its_parent() -> None:
    code = (
        "from dhcore.media.ffmpeg import find_ffmpeg, run_ffmpeg\n"
        "run_ffmpeg([find_ffmpeg(), '-v', 'error', '-re', '-f', 'lavfi', '-i', 'nullsrc=s=16x16:r=10',"
        " '-t', '60', '-f', 'null', '-'])\n"
    )
    parent = _child(code)
    deadline = time.monotonic() + 30
    children: list[psutil.Process] = []
    while not children and time.monotonic() < deadline:
        children = psutil.Process(parent.pid).children()
        time.sleep(0.05)
    assert children, "ffmpeg did not start"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    gone, alive = psutil.wait_procs(children, timeout=2)
    assert not alive


def test_stage_errors_name_the_users_file_not_the_store_copy(tmp_path: Path) -> None:
    from dhcore.catalog.repo import Catalog

    catalog = Catalog(f"sqlite:///{tmp_path / 'c.db'}", AssetStore(tmp_path / "store"))
    user_file = tmp_path / "my dance.mp4"
    user_file.write_bytes(b"not really a video")
    ref = catalog.register_input(user_file, "video", "motion")
    assert ref.path != str(user_file)
    shown = catalog.name_user_files(InputError(f"{ref.path}: cannot decode frame 93"), {"motion": ref})
    assert type(shown) is InputError and str(shown) == f"{user_file}: cannot decode frame 93"
    bug = ValueError(f"{ref.path}: a bug")
    assert catalog.name_user_files(bug, {"motion": ref}) is bug
