"""A whole dance production with its asset store on S3 (moto's server): outputs are objects,
a re-run is all cache hits checked remotely, and the report links the output over http."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

SPEC = """\
version: 1
kind: dance_video
name: on-s3
subject: {image: assets/astronaut.png}
motion: {type: keypoints, path: assets/dance.pose.npz}
animate: {backend: warp, width: 160, height: 160}
face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}
# the line is under test here, not the animator's quality: no gates
quality: {pose_pck: null, pose_pck_limbs: null, motion_follow: null, body_integrity: null,
          head_in_frame: null, body_in_frame: null, face_match_rate: null}
"""


def test_dance_production_on_object_storage(
    prefect_api: None, demo_assets: Path, s3_store_url: str, dh_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dh.commands.run_cmd import run_one
    from dhcore.catalog.repo import Catalog
    from dhcore.report import output_link
    from dhcore.spec.loader import load_spec

    monkeypatch.setenv("DH_STORE_URL", s3_store_url)
    path = demo_assets / "on_s3.yaml"
    path.write_text(SPEC)
    catalog = Catalog()
    first = run_one(load_spec(path), catalog)
    assert first["status"] == "succeeded", first["error"]
    assert first["outputs"]["video"].startswith(s3_store_url + "/")
    assert not (dh_home / "assets").exists()  # nothing stored on local disk but scratch and the cache
    assert not any((dh_home / "scratch").iterdir())  # scratch folders cleaned up
    link = output_link(catalog.show_production(first["production_id"]))
    assert link.startswith("http://127.0.0.1:") and "Signature=" in link
    assert httpx.get(link, timeout=30).content[4:8] == b"ftyp"  # a browser gets the mp4 itself

    shutil.rmtree(dh_home / "objects")  # a fresh host: no local copies
    second = run_one(load_spec(path), catalog)
    assert second["status"] == "succeeded"
    assert all(s["cache_hit"] for s in second["stages"]), second["stages"]
    assert second["outputs"]["video"] == first["outputs"]["video"]
