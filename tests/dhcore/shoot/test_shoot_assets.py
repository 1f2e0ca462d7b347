"""The photo-shoot demo's inputs: what they are, and that writing them again changes nothing."""

from __future__ import annotations

from pathlib import Path

from dhcore.demo.shoot_assets import write_shoot_assets
from dhcore.media.audio import probe_audio
from dhcore.shoot.checks import identity_problems, template_problem
from tests.dhcore.shoot.shoot_helpers import read_rgb


def test_identity_templates_and_music(shoot_assets) -> None:
    names = [p.name for p in shoot_assets["identity"]]
    assert names == ["hopper.png", "hopper_mirrored.png", "hopper_crop.png", "hopper_bright.png"]
    hopper, mirrored = (read_rgb(p) for p in shoot_assets["identity"][:2])
    assert (hopper[:, ::-1] == mirrored).all()
    assert identity_problems(shoot_assets["identity"]) == {}  # all four are one person
    assert list(shoot_assets["templates"]) == ["astronaut", *(f"t1_face{i}" for i in range(6))]
    for name, path in shoot_assets["templates"].items():
        assert template_problem(path) is None, name
        if name != "astronaut":
            h, w = read_rgb(path).shape[:2]
            assert abs(h / w - 1.25) < 0.01 and w > 200  # 4:5 portraits around a ~100 px face
    music = probe_audio(shoot_assets["music"])
    assert music is not None and music.duration >= 20.0


def test_second_write_changes_nothing(shoot_assets) -> None:
    folder = shoot_assets["music"].parent
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    again = write_shoot_assets(folder)
    assert again == shoot_assets
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == before
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == files  # no temporary files left


def test_a_fresh_folder_gets_the_same_bytes(shoot_assets, tmp_path: Path) -> None:
    fresh = write_shoot_assets(tmp_path / "fresh")
    for a, b in zip(fresh["identity"], shoot_assets["identity"], strict=True):
        assert a.read_bytes() == b.read_bytes()
    for name in fresh["templates"]:
        assert fresh["templates"][name].read_bytes() == shoot_assets["templates"][name].read_bytes()
