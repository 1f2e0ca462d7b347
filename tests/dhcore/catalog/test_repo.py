"""Catalog behaviour on SQLite and PostgreSQL: productions, cached steps, lineage, crash marking."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dhcore.catalog.repo import AssetRef, Catalog


def _spec(catalog: Catalog, sha: str = "a" * 64) -> int:
    return catalog.record_spec(sha, "dance_video", "demo", "/x/spec.yaml", "version: 1\n", {"version": 1})


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _run_step(catalog: Catalog, prod: str, stage: str, key: str, inputs: dict[str, AssetRef], data: bytes):
    step = catalog.start_step(prod, stage, "1", {"p": 1}, None, key, inputs)
    scratch = catalog.store.scratch()
    stored = catalog.store.ingest(_write(scratch, "out.bin", data))
    series = {f"sim_{stage}": [0.1, None, 0.3]}
    refs = catalog.finish_step(step, {"out": (stored, "json", {"n": 1})}, {"score": 0.5}, series, 3, 1.5)
    return step, refs


def test_spec_is_recorded_once_per_content_hash(catalog: Catalog) -> None:
    assert _spec(catalog) == _spec(catalog)
    assert _spec(catalog, "b" * 64) != _spec(catalog)


def test_step_outputs_lineage_and_cache_lookup(catalog: Catalog, tmp_path: Path) -> None:
    prod = catalog.start_production(_spec(catalog), "demo", None)
    photo = catalog.register_input(_write(tmp_path, "photo.png", b"pixels"), "image", "reference")
    again = catalog.register_input(_write(tmp_path / "other", "photo.png", b"pixels"), "image", "reference")
    assert again.id == photo.id and Path(photo.path).read_bytes() == b"pixels"

    assert catalog.find_cached("pose.extract", "k1") is None
    step, refs = _run_step(catalog, prod, "pose.extract", "k1", {"image": photo}, b"pose-data")
    out = refs["out"]
    assert Path(out.path).read_bytes() == b"pose-data" and out.kind == "json" and out.media == {"n": 1}

    hit = catalog.find_cached("pose.extract", "k1")
    assert hit is not None and hit.step_run_id == step and hit.outputs["out"].sha256 == out.sha256
    assert hit.metrics == {"score": 0.5} and hit.frames == 3

    step2, refs2 = _run_step(catalog, prod, "animate", "k2", {"pose": out, "image": photo}, b"frames")
    catalog.set_outputs(prod, {"video": refs2["out"].id})
    catalog.finish_production(prod, "succeeded")

    info = catalog.show_production(prod)
    assert info["status"] == "succeeded"
    assert [s["name"] for s in info["stages"]] == ["pose.extract", "animate"]
    assert info["outputs"]["video"]["sha256"] == refs2["out"].sha256
    assert info["series"] == {"sim_pose.extract": 3, "sim_animate": 3}
    assert catalog.series(prod, "sim_animate") == [0.1, None, 0.3]
    assert [(a["role"], a["source"]) for a in info["inputs"]] == [("reference", str(tmp_path / "photo.png"))]

    tree = catalog.production_lineage(prod)["outputs"]["video"]
    assert tree["step"]["stage"] == "animate"
    assert tree["inputs"]["pose"]["step"]["stage"] == "pose.extract"
    assert tree["inputs"]["pose"]["inputs"]["image"]["source"].endswith("photo.png")


def test_cache_hit_step_reuses_outputs_and_metrics(catalog: Catalog) -> None:
    prod = catalog.start_production(_spec(catalog), "demo", None)
    step, refs = _run_step(catalog, prod, "face.identity", "key", {}, b"report")
    prod2 = catalog.start_production(_spec(catalog), "demo", None)
    hit = catalog.find_cached("face.identity", "key")
    assert hit is not None
    hit_step = catalog.start_step(prod2, "face.identity", "1", {"p": 1}, None, "key", {}, cached=hit)
    info = catalog.show_production(prod2)
    assert info["stages"][0]["cache_hit"] is True and info["stages"][0]["step_run_id"] == hit_step
    assert info["metrics"] == {} and info["stages"][0]["metrics"] == {"score": 0.5}
    assert [a["sha256"] for a in info["assets"]] == [refs["out"].sha256]
    catalog.add_metrics(prod2, {"face_match_rate": 0.97})
    assert catalog.show_production(prod2)["metrics"] == {"face_match_rate": 0.97}


def test_cache_ignores_failed_steps_and_missing_files(catalog: Catalog) -> None:
    prod = catalog.start_production(_spec(catalog), "demo", None)
    failed = catalog.start_step(prod, "animate", "1", {}, None, "kf", {})
    catalog.fail_step(failed, "boom")
    assert catalog.find_cached("animate", "kf") is None
    _, refs = _run_step(catalog, prod, "animate", "km", {}, b"x" * 10)
    Path(refs["out"].path).chmod(0o644)
    Path(refs["out"].path).unlink()
    assert catalog.find_cached("animate", "km") is None


def test_failed_production_marks_running_steps_failed(catalog: Catalog) -> None:
    prod = catalog.start_production(_spec(catalog), "demo", None)
    catalog.start_step(prod, "animate", "1", {}, None, "k", {})
    catalog.finish_production(prod, "failed", "no person in the reference")
    info = catalog.show_production(prod)
    assert info["status"] == "failed" and info["error"] == "no person in the reference"
    assert info["stages"][0]["status"] == "failed"


def test_rows_of_dead_processes_are_marked_crashed(catalog: Catalog) -> None:
    code = (
        "import sys; from dhcore.catalog.repo import Catalog; from dhcore.catalog.store import AssetStore;"
        "from pathlib import Path; c = Catalog(sys.argv[1], AssetStore(Path(sys.argv[2])));"
        "sid = c.record_spec('c'*64, 'dance_video', 'd', '/s', '', {});"
        "p = c.start_production(sid, 'd', None); c.start_step(p, 'animate', '1', {}, None, 'k', {}); print(p)"
    )
    out = subprocess.run([sys.executable, "-c", code, catalog.url, str(catalog.store.root)], check=True,
                         capture_output=True, text=True)  # fmt: skip
    prod = out.stdout.strip()
    assert catalog.show_production(prod)["status"] == "running"
    assert catalog.mark_crashed() == 1
    info = catalog.show_production(prod)
    assert info["status"] == "crashed" and "died" in info["error"]
    assert info["stages"][0]["status"] == "crashed"
    assert catalog.mark_crashed() == 0


def test_produced_spec_dedupes_by_content_hash(catalog: Catalog) -> None:
    sid = _spec(catalog, "d" * 64)
    assert catalog.produced_spec("d" * 64) is None
    prod = catalog.start_production(sid, "demo", None)
    catalog.finish_production(prod, "failed", "x")
    assert catalog.produced_spec("d" * 64) is None
    prod = catalog.start_production(sid, "demo", None)
    catalog.finish_production(prod, "succeeded")
    assert catalog.produced_spec("d" * 64) == prod


def test_resolve_production_id_prefix(catalog: Catalog) -> None:
    prod = catalog.start_production(_spec(catalog), "demo", None)
    assert catalog.resolve_production_id(prod[:8]) == prod
    with pytest.raises(KeyError):
        catalog.resolve_production_id("zz")


def test_messages_name_the_users_files_not_their_store_copies(catalog: Catalog, tmp_path: Path) -> None:
    user = _write(tmp_path / "mine", "street.mp4", b"a driving video")
    ref = catalog.register_input(user, "video", "motion")
    copy = Path(ref.path)
    assert copy != user and copy.is_file()
    inputs = {"source": ref}
    assert catalog.name_user_files_in(f"{copy}: no visible body", inputs) == f"{user}: no visible body"
    said = f"{copy.name}: the driving video shows 2 people"  # a stage that names the file alone
    assert catalog.name_user_files_in(said, inputs) == f"{user}: the driving video shows 2 people"
    assert catalog.name_user_files_in("nothing to name", inputs) == "nothing to name"
