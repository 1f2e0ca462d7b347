"""Retention: intermediates of finished productions pruned; deliverables, inputs, lineage and
running productions kept; a pruned step recomputed on demand."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dhcore.catalog.gc import prune
from dhcore.catalog.repo import AssetRef, Catalog


def _step(catalog: Catalog, prod: str, stage: str, inputs: dict[str, AssetRef], data: bytes) -> AssetRef:
    step = catalog.start_step(prod, stage, "1", {}, None, f"key-{stage}", inputs)
    scratch = catalog.store.scratch()
    (scratch / "out.bin").write_bytes(data)
    stored = catalog.store.ingest(scratch / "out.bin")
    catalog.store.discard(scratch)
    return catalog.finish_step(step, {"out": (stored, "json", {})}, {}, {}, 1, 0.1)["out"]


def _production(
    catalog: Catalog, tmp_path: Path, name: str, tag: bytes
) -> tuple[str, AssetRef, AssetRef, AssetRef]:
    sid = catalog.record_spec(
        name * 64 if len(name) == 1 else name.ljust(64, "0"), "dance_video", name, "/s.yaml", "", {}
    )
    prod = catalog.start_production(sid, name, None)
    photo = tmp_path / f"{name}.png"
    photo.write_bytes(b"photo " + tag)
    source = catalog.register_input(photo, "image", "reference")
    frames = _step(catalog, prod, "animate.warp", {"reference": source}, b"frames " + tag * 1000)
    video = _step(catalog, prod, "assemble", {"frames": frames}, b"video " + tag)
    return prod, source, frames, video


def test_prune_keeps_deliverables_inputs_lineage_and_running_work(catalog: Catalog, tmp_path: Path) -> None:
    done, source, frames, video = _production(catalog, tmp_path, "a", b"A")
    catalog.set_outputs(done, {"video": video.id})
    catalog.finish_production(done, "succeeded")
    running, _, busy_frames, _ = _production(catalog, tmp_path, "b", b"B")  # still running

    report = prune(catalog.store, catalog.url, dry_run=True)
    assert report.pruned_ids == [frames.id] and Path(frames.path).is_file()  # a dry run deletes nothing

    report = prune(catalog.store, catalog.url)
    assert report.pruned_ids == [frames.id] and report.freed_bytes == frames.size
    assert not Path(frames.path).exists()
    for kept in (source, video, busy_frames):
        assert Path(kept.path).is_file()
    tree = catalog.production_lineage(done)["outputs"]["video"]
    assert tree["inputs"]["frames"]["asset_id"] == frames.id  # lineage kept through the pruned asset
    assert tree["inputs"]["frames"]["inputs"]["reference"]["asset_id"] == source.id
    assert (
        catalog.find_cached("animate.warp", "key-animate.warp") is not None
    )  # production b's copy is intact
    catalog.finish_production(running, "succeeded")
    prune(catalog.store, catalog.url)
    assert catalog.find_cached("animate.warp", "key-animate.warp") is None  # pruned: recomputed on demand
    assert prune(catalog.store, catalog.url).pruned == 0  # nothing left to prune


def test_budget_prunes_oldest_first_and_age_spares_young_files(catalog: Catalog, tmp_path: Path) -> None:
    first, _, old_frames, _ = _production(catalog, tmp_path, "c", b"C")
    catalog.finish_production(first, "failed", "boom")
    second, _, new_frames, _ = _production(catalog, tmp_path, "d", b"D")
    catalog.finish_production(second, "succeeded")
    assert prune(catalog.store, catalog.url, older_than=timedelta(hours=1)).pruned == 0  # all younger
    report = prune(catalog.store, catalog.url, budget_bytes=new_frames.size + 1000, dry_run=True)
    assert old_frames.id in report.pruned_ids and new_frames.id not in report.pruned_ids


def test_a_file_shared_with_a_deliverable_is_never_deleted(catalog: Catalog, tmp_path: Path) -> None:
    prod, source, _, _ = _production(catalog, tmp_path, "e", b"E")
    same = _step(catalog, prod, "extras", {"reference": source}, b"shared bytes")
    delivered = _step(catalog, prod, "assemble2", {"reference": source}, b"shared bytes")
    assert same.path == delivered.path  # content-addressed: one file, two rows
    catalog.set_outputs(prod, {"video": delivered.id})
    catalog.finish_production(prod, "succeeded")
    report = prune(catalog.store, catalog.url)
    assert same.id not in report.pruned_ids and Path(delivered.path).is_file()
