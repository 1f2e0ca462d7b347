"""The step runner: keys from the declaration, the catalog as cache, outputs checked, failures recorded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from dhcore.catalog.repo import AssetRef, Catalog
from dhcore.catalog.store import AssetStore
from dhcore.pose import smooth
from dhcore.pose.keypoints import J, PoseSequence
from dhcore.runner import keyed_inputs, run_step
from dhcore.stage import StageContext, port
from dhcore.stages import get


@pytest.fixture
def catalog(tmp_path: Path) -> tuple[Catalog, str]:
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.db'}", AssetStore(tmp_path / "store"))
    spec = catalog.record_spec("s" * 64, "dance_video", "s", "/s.yaml", "", {})
    return catalog, catalog.start_production(spec, "s", None)


def _pose(catalog: Catalog, tmp_path: Path, shift: float = 0.0) -> AssetRef:
    pose = PoseSequence.empty(12, 64, 64, 24.0)
    pose.body[:, J["r_wrist"]] = np.stack(
        [np.linspace(0.2, 0.8, 12) + shift, np.full(12, 0.5), np.ones(12)], 1
    )
    path = tmp_path / f"pose_{shift}.npz"
    pose.save(path)
    return catalog.register_input(path, "pose", "motion")


def test_second_run_is_a_cache_hit_and_params_change_the_key(catalog, tmp_path: Path) -> None:
    cat, prod = catalog
    pose = _pose(cat, tmp_path)
    stage = get("pose.smooth")
    first = run_step(cat, prod, stage, smooth.Params(), {"pose": pose}, StageContext())
    again = run_step(
        cat, prod, stage, {"min_cutoff": 2.0}, {"pose": pose}, StageContext()
    )  # same params, as JSON
    other = run_step(cat, prod, stage, smooth.Params(min_cutoff=0.5), {"pose": pose}, StageContext())
    assert not first.cache_hit and again.cache_hit and not other.cache_hit
    assert again.cache_key == first.cache_key != other.cache_key
    assert again.out("pose").sha256 == first.out("pose").sha256
    assert len(PoseSequence.load(first.out("pose").path)) == 12
    steps = cat.show_production(prod)["stages"]
    assert [s["cache_hit"] for s in steps] == [False, True, False]


def test_a_cache_hit_looks_the_key_up_once(catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cat, prod = catalog
    pose = _pose(cat, tmp_path)
    stage = get("pose.smooth")
    first = run_step(cat, prod, stage, smooth.Params(), {"pose": pose}, StageContext())
    lookups: list[str] = []
    find = cat.find_cached
    monkeypatch.setattr(cat, "find_cached", lambda name, key: lookups.append(key) or find(name, key))
    again = run_step(cat, prod, stage, smooth.Params(), {"pose": pose}, StageContext())
    assert again.cache_hit and lookups == [first.cache_key]  # each lookup stats (or HEADs) every output


def test_inputs_are_checked_and_many_roles_are_numbered(catalog, tmp_path: Path) -> None:
    cat, _ = catalog
    pose = _pose(cat, tmp_path)
    with pytest.raises(ValueError, match="undeclared inputs"):
        keyed_inputs(get("pose.smooth"), {"pose": pose, "extra": pose})
    with pytest.raises(ValueError, match="'pose' is required"):
        keyed_inputs(get("pose.smooth"), {})
    with pytest.raises(ValueError, match="is a pose, not image"):
        keyed_inputs(get("shoot.identity"), {"photo": [pose]})
    photo = dataclasses.replace(pose, kind="image")
    assert list(keyed_inputs(get("shoot.identity"), {"photo": [photo, photo]})) == ["photo_00", "photo_01"]


def test_undeclared_output_fails_the_step(catalog, tmp_path: Path) -> None:
    cat, prod = catalog
    pose = _pose(cat, tmp_path, 0.01)
    wrong = dataclasses.replace(get("pose.smooth"), outputs=(port("smoothed", "pose"),))
    with pytest.raises(ValueError, match="undeclared output 'pose'"):
        run_step(cat, prod, wrong, smooth.Params(), {"pose": pose}, StageContext())
    step = cat.show_production(prod)["stages"][0]
    assert step["status"] == "failed" and "undeclared output" in step["error"]


def test_a_stage_warning_names_the_users_file_not_its_store_copy(catalog, tmp_path: Path) -> None:
    from dhcore.pose import extract
    from tests import realdata

    cat, prod = catalog
    group = realdata.path("six_people")
    photo = cat.register_input(group, "image", "subject")
    run_step(cat, prod, get("pose.extract"), extract.Params(parts="body"), {"source": photo}, StageContext())
    warnings = cat.show_production(prod)["warnings"]
    assert any(
        w.startswith(f"pose.extract: {group}: 5 people in the photo; animating person 2") for w in warnings
    )
    assert not any(photo.path in w or str(tmp_path / "store") in w for w in warnings), warnings
