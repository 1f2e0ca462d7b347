"""The photo-shoot flow end to end on the embedded backend: delivery, scoring, selection, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dh.cli import main
from dhcore.catalog.repo import Catalog
from dhcore.media.frames import probe

SPEC = """\
version: 1
kind: photo_shoot
name: {name}
identity:
  photos: [assets/identity/hopper.png, assets/identity/hopper_mirrored.png]
looks:
  - {{name: astronaut, template: assets/templates/astronaut.png, count: 2}}
  - {{name: face1, template: assets/templates/t1_face1.png, count: 1}}
selection: {{threshold: {threshold}, retries: 1{require}}}
outputs:
  width: 256
  height: 320
  format: jpg
  video: {{seconds_per_image: 1.0, crossfade: 0.25, fps: 12, music: {{source: file, path: assets/music.wav}}}}
"""


@pytest.fixture(scope="module")
def shoot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dhcore.demo.shoot_assets import write_shoot_assets

    folder = tmp_path_factory.mktemp("shoot")
    write_shoot_assets(folder / "assets")
    return folder


def write(
    folder: Path, name: str, threshold: float = 0.6, require: int | None = None, extra: str = ""
) -> Path:
    path = folder / f"{name}.yaml"
    req = f", require: {require}" if require else ""
    path.write_text(SPEC.format(name=name, threshold=threshold, require=req) + extra)
    return path


def test_shoot_delivers_scored_portraits_sheet_and_video(
    prefect_api: None, shoot_dir: Path, dh_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--json", str(write(shoot_dir, "shoot"))]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded"
    images = [Path(p) for p in result["outputs"]["images"]]
    assert len(images) == 3 and all(p.suffix == ".jpg" and p.is_file() for p in images)
    assert Path(result["outputs"]["contact_sheet"]).suffix == ".png"
    video = probe(result["outputs"]["video"])
    assert (video.width, video.height, video.has_audio) == (256, 320, True)
    m = result["metrics"]
    assert m["delivered"] == 3 and m["identity_pass_rate"] == 1.0
    assert m["identity_distance_max"] <= 0.6
    assert m["template_original_fail_rate"] == 1.0  # the templates' own people fail the same check
    names = [s["name"] for s in result["stages"]]
    assert names.count("shoot.generate.template_swap") == 3 and names.count("shoot.score") == 5

    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["image_01"]
    assert lineage["step"]["stage"] == "shoot.deliver"
    generated = lineage["inputs"]["image"]
    assert generated["step"]["stage"] == "shoot.generate.template_swap"
    assert "template" in generated["inputs"] and "photo_00" in generated["inputs"]


def test_too_few_passing_warns_or_fails_when_required(
    prefect_api: None, shoot_dir: Path, dh_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--json", str(write(shoot_dir, "strict", threshold=0.05))]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded" and result["metrics"]["delivered"] == 0
    assert result["metrics"]["candidates"] == 6  # 3 first-round candidates + 3 retries with new seeds
    assert "video" not in result["outputs"]
    assert any(w.startswith("only 0 of 3 images passed the identity threshold") for w in result["warnings"])

    assert main(["run", "--json", str(write(shoot_dir, "required", threshold=0.05, require=2))]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "failed" and "selection.require asks for 2" in result["error"]


def test_bad_shoot_inputs_are_validation_errors(shoot_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    shutil.copyfile(shoot_dir / "assets/templates/astronaut.png", shoot_dir / "assets/identity/astronaut.png")
    path = write(shoot_dir, "bad", extra="")
    text = path.read_text().replace(
        "hopper_mirrored.png]", "hopper_mirrored.png, assets/identity/astronaut.png]"
    )
    text = text.replace("count: 1}\n", "count: 1}\n  - {name: studio, prompt: studio portrait}\n")
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5:77: identity.photos.2: " in err and "a different person" in err
    assert f"{path}:9:5: looks.2: backend template_swap cannot follow text prompts" in err


def test_cosmicman_prompt_looks_get_the_identity_by_template_swap(
    prefect_api: None, shoot_dir: Path, dh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Tiny random SDXL parts draw noise, not people: the chain runs, and faceless portraits fail scoring."""
    from dhcore.models import registry
    from dhcore.shoot.backends.tiny import write_tiny_cosmicman

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    registry.add("cosmicman_sdxl", write_tiny_cosmicman(tmp_path / "cosmicman"))
    spec = shoot_dir / "prompted.yaml"
    spec.write_text(
        "version: 1\nkind: photo_shoot\nname: prompted\n"
        "identity: {photos: [assets/identity/hopper.png]}\n"
        "looks: [{name: studio, prompt: studio portrait of a woman, count: 2}]\n"
        "backend: cosmicman\nbackend_params: {steps: 2, device: cpu}\n"
        "selection: {retries: 0}\noutputs: {width: 64, height: 64, video: {enabled: false}}\n"
    )
    assert main(["run", "--json", str(spec)]) == 0
    result = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in result["stages"]]
    assert names.count("shoot.generate.cosmicman") == 2 and names.count("shoot.generate.template_swap") == 2
    assert result["metrics"]["delivered"] == 0 and result["metrics"]["candidates"] == 2
    assert any("no face found; kept unchanged" in w for w in result["warnings"])
