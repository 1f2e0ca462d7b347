"""The asset store on object storage (S3 protocol), chosen by DH_STORE_URL, for several hosts.

Objects live under s3://bucket/prefix/<sha[:2]>/<sha><suffix> (a folder asset: one object per
file under that name). A finished stage file is hashed on local disk and uploaded once; S3
makes an object visible only when its upload completed, so the rule "complete or absent" of
the local store holds. Scratch folders and a read-through cache of downloaded objects stay on
local disk (DH_HOME/scratch, DH_HOME/objects). Intactness is a HEAD request (size), never an
assumption that a file is on this host.

Endpoint and credentials come from the usual AWS settings (AWS_ENDPOINT_URL or
DH_S3_ENDPOINT_URL for MinIO or another S3-compatible server, AWS_ACCESS_KEY_ID, ...).
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from dhcore import config
from dhcore.catalog.store import AssetStore, StoredFile, owned_scratch, sha256_path, sweep_dead_scratch

#: how long the links in reports and batch summaries stay valid
LINK_SECONDS = 7 * 24 * 3600


def open_store(root: str | None = None) -> Any:
    """The store for `root` (default DH_STORE_URL): s3://bucket/prefix, or a local folder path."""
    url = root or os.environ.get("DH_STORE_URL") or ""
    if url.startswith("s3://"):
        return ObjectStore(url)
    if url.startswith("file://"):
        url = url.removeprefix("file://")
    return AssetStore(Path(url) if url else None)


@functools.cache
def _client(endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint, config=Config(retries={"max_attempts": 5, "mode": "standard"})
    )


def split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


class ObjectStore:
    """Same operations as AssetStore; `root` and stored paths are s3:// URIs."""

    def __init__(self, url: str) -> None:
        self.root = url.rstrip("/")
        self.bucket, self.prefix = split(self.root)
        self.endpoint = os.environ.get("DH_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        self.local = config.dh_home()

    @property
    def client(self) -> Any:
        return _client(self.endpoint)

    def _uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _key(self, sha256: str, suffix: str) -> str:
        return "/".join(p for p in (self.prefix, sha256[:2], f"{sha256}{suffix}") if p)

    def scratch(self) -> Path:
        return owned_scratch(self.local / "scratch")

    def sweep_scratch(self) -> list[Path]:
        """Scratch folders of dead processes on this host (objects are complete or absent: no parts)."""
        return sweep_dead_scratch(self.local / "scratch")

    def discard(self, scratch: Path) -> None:
        shutil.rmtree(scratch, ignore_errors=True)

    def _size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def ingest(self, path: Path, move: bool = True, sha256: str | None = None) -> StoredFile:
        """Upload a finished file under its content hash (once), keep it in the local cache."""
        path = Path(path)
        digest = sha256 or sha256_path(path)
        suffix = "".join(path.suffixes[-2:]) if path.name.endswith(".pose.npz") else path.suffix
        key, size = self._key(digest, suffix), path.stat().st_size
        if self._size(key) != size:
            self.client.upload_file(str(path), self.bucket, key)
        cached = self.cache_path(self._uri(key))
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            staging = cached.with_name(f".{cached.name}.{uuid.uuid4().hex}.part")
            (shutil.move if move else shutil.copyfile)(path, staging)
            os.replace(staging, cached)
        elif move:
            path.unlink()
        return StoredFile(self._uri(key), digest, size)  # type: ignore[arg-type] - a URI, not a local Path

    def ingest_folder(self, folder: Path) -> StoredFile:
        digest = sha256_path(folder)
        base = self._key(digest, "")
        files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
        for f in files:
            key = f"{base}/{f.relative_to(folder).as_posix()}"
            if self._size(key) != f.stat().st_size:
                self.client.upload_file(str(f), self.bucket, key)
        return StoredFile(self._uri(base), digest, sum(f.stat().st_size for f in files))  # type: ignore[arg-type]

    def intact(self, uri: str | Path, size: int) -> bool:
        """HEAD the object (a folder asset: its first object exists)."""
        bucket, key = split(str(uri))
        if self._size(key) == size:
            return True
        listed = self.client.list_objects_v2(Bucket=bucket, Prefix=f"{key}/", MaxKeys=1)
        return bool(listed.get("KeyCount"))

    def delete(self, uri: str) -> None:
        bucket, key = split(uri)
        self.client.delete_object(Bucket=bucket, Key=key)
        listed = self.client.list_objects_v2(Bucket=bucket, Prefix=f"{key}/")
        for obj in listed.get("Contents", []):
            self.client.delete_object(Bucket=bucket, Key=obj["Key"])
        cached = self.cache_path(uri)
        if cached.is_dir():
            shutil.rmtree(cached, ignore_errors=True)
        else:
            cached.unlink(missing_ok=True)

    def cache_path(self, uri: str) -> Path:
        return self.local / "objects" / split(uri)[0] / split(uri)[1]

    def materialize(self, uri: str) -> Path:
        """A local copy of a stored object (or folder), downloaded once into the cache."""
        local = self.cache_path(uri)
        if local.exists():
            return local
        bucket, key = split(uri)
        local.parent.mkdir(parents=True, exist_ok=True)
        if self._size(key) is not None:
            staging = local.with_name(f".{local.name}.{uuid.uuid4().hex}.part")
            self.client.download_file(bucket, key, str(staging))
            os.replace(staging, local)
            return local
        staging = local.with_name(f".{local.name}.{uuid.uuid4().hex}.part")
        for obj in self.client.list_objects_v2(Bucket=bucket, Prefix=f"{key}/").get("Contents", []):
            target = staging / obj["Key"].removeprefix(f"{key}/")
            target.parent.mkdir(parents=True, exist_ok=True)
            self.client.download_file(bucket, obj["Key"], str(target))
        os.replace(staging, local)
        return local

    def link(self, uri: str) -> str:
        """An http(s) link to the object a browser can open (presigned, valid LINK_SECONDS)."""
        bucket, key = split(uri)
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=LINK_SECONDS
        )


def local_path(uri: str) -> Path:
    """A readable local path for a stored file: itself for the local store, a cached copy for s3://."""
    if uri.startswith("s3://"):
        return ObjectStore(uri.rsplit("/", 1)[0]).materialize(uri)
    return Path(uri)
