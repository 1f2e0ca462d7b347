"""The asset store on a real S3-protocol server (moto's standalone server): content-addressed
uploads, local scratch, cache hits checked with HEAD requests, downloads on demand, retention."""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import pytest

from dhcore.catalog.gc import prune
from dhcore.catalog.objstore import ObjectStore, open_store, split
from dhcore.catalog.repo import Catalog
from dhcore.catalog.store import AssetStore, sha256_path


@pytest.fixture
def store(s3_store_url: str, dh_home: Path, monkeypatch: pytest.MonkeyPatch) -> ObjectStore:
    monkeypatch.setenv("DH_STORE_URL", s3_store_url)
    opened = open_store()
    assert isinstance(opened, ObjectStore)
    return opened


def _objects(store: ObjectStore) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=store.bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_store_selection_by_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DH_STORE_URL", raising=False)
    assert isinstance(open_store(), AssetStore)
    assert open_store(f"file://{tmp_path}").root == tmp_path.resolve()
    assert isinstance(open_store("s3://bucket/prefix"), ObjectStore)


def test_ingest_uploads_once_keeps_scratch_local_and_downloads_on_demand(
    store: ObjectStore, dh_home: Path
) -> None:
    scratch = store.scratch()
    assert scratch.is_relative_to(dh_home)  # scratch is local disk, never the bucket
    (scratch / "frames.nut").write_bytes(b"x" * 5000)
    digest = sha256_path(scratch / "frames.nut")
    stored = store.ingest(scratch / "frames.nut")
    assert stored.path == f"{store.root}/{digest[:2]}/{digest}.nut" and stored.size == 5000
    assert _objects(store) == [f"assets/{digest[:2]}/{digest}.nut"]
    assert store.intact(stored.path, 5000) and not store.intact(stored.path, 4999)
    (scratch / "again.nut").write_bytes(b"x" * 5000)
    assert store.ingest(scratch / "again.nut").path == stored.path and len(_objects(store)) == 1

    shutil.rmtree(dh_home / "objects")  # another host: nothing cached locally
    local = store.materialize(stored.path)
    assert local.read_bytes() == b"x" * 5000 and local.is_relative_to(dh_home / "objects")
    store.delete(stored.path)
    assert _objects(store) == [] and not store.intact(stored.path, 5000)


def test_folder_assets_round_trip(store: ObjectStore, tmp_path: Path) -> None:
    folder = tmp_path / "openpose"
    (folder / "sub").mkdir(parents=True)
    (folder / "f0.json").write_text("{}")
    (folder / "sub" / "f1.json").write_text("[1]")
    stored = store.ingest_folder(folder)
    assert store.intact(stored.path, stored.size)
    local = store.materialize(stored.path)
    assert sha256_path(local) == stored.sha256 == sha256_path(folder)


def test_catalog_on_object_storage_checks_cache_hits_remotely(
    store: ObjectStore, dh_home: Path, tmp_path: Path
) -> None:
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.db'}", store)
    sid = catalog.record_spec("s" * 64, "dance_video", "s3", "/s.yaml", "", {})
    prod = catalog.start_production(sid, "s3", None)
    photo = tmp_path / "me.png"
    photo.write_bytes(b"photo bytes")
    source = catalog.register_input(photo, "image", "reference")
    assert source.uri.startswith("s3://") and photo.is_file()  # inputs are copied, never moved
    step = catalog.start_step(prod, "pose.extract", "1", {}, None, "key-1", {"image": source})
    scratch = store.scratch()
    (scratch / "pose.pose.npz").write_bytes(b"pose" * 100)
    out = catalog.finish_step(
        step, {"pose": (store.ingest(scratch / "pose.pose.npz"), "pose", {})}, {}, {}, 1, 0.1
    )
    store.discard(scratch)
    catalog.finish_production(prod, "succeeded")

    shutil.rmtree(dh_home / "objects")  # no local copies left: a hit must not need them
    hit = catalog.find_cached("pose.extract", "key-1")
    assert hit is not None and hit.outputs["pose"].uri == out["pose"].uri
    assert not (dh_home / "objects").exists()  # verified by HEAD, nothing downloaded
    assert Path(hit.outputs["pose"].path).read_bytes() == b"pose" * 100  # read: downloaded then
    assert prune(store, catalog.url).pruned_ids == [out["pose"].id]
    bucket, key = split(out["pose"].uri)
    assert f"{key}" not in _objects(store) and catalog.find_cached("pose.extract", "key-1") is None
