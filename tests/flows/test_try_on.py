"""The try-on flow end to end from the example spec's demo inputs: dressed photo, figures, gates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import pytest

from dh.cli import main
from dhcore.catalog.repo import Catalog

EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "examples" / "try_on.yaml"


def test_example_try_on_succeeds_with_its_figures(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.demo.tryon_assets import write_tryon_assets

    write_tryon_assets(tmp_path / "assets" / "tryon")
    spec = shutil.copy(EXAMPLE, tmp_path / "try_on.yaml")
    assert main(["run", "--json", str(spec)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded", result
    m = result["metrics"]
    assert m["background_psnr"] >= 40 and m["face_distance"] <= 0.3 and m["garment_colour"] >= 0.5
    assert [s["name"] for s in result["stages"]] == ["pose.extract", "tryon.warp", "tryon.figures"]
    image = cv2.imread(result["outputs"]["image"])
    assert image.shape == (512, 512, 3)
    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["image"]
    assert lineage["step"]["stage"] == "tryon.warp"
    assert {"person", "garment", "person_pose"} <= set(lineage["inputs"])

    assert main(["run", "--json", str(spec)]) == 0  # the same spec again: every step from the cache
    again = json.loads(capsys.readouterr().out)
    assert all(s["cache_hit"] for s in again["stages"])


THEN_DANCE = """\
version: 1
kind: try_on
name: dressed-dance
person: {image: assets/tryon/person.png}
garment: {image: assets/tryon/tshirt.png, category: top}
then:
  dance:
    motion: {type: keypoints, path: assets/dance.pose.npz}
    animate: {backend: warp, width: 256, height: 256}
    face: {restore: {backend: none}, refine: {backend: none}}
    output: {audio: {source: file, path: assets/beat.wav}}
"""


def test_the_dressed_person_dances_in_one_production(
    prefect_api: None, demo_assets: Path, dh_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.demo.tryon_assets import write_tryon_assets
    from dhcore.media.frames import probe

    write_tryon_assets(demo_assets / "assets" / "tryon")
    spec = demo_assets / "dressed-dance.yaml"
    spec.write_text(THEN_DANCE)
    assert main(["run", "--json", str(spec)]) in (0, 3)  # 3: needs_review, with its reasons
    result = json.loads(capsys.readouterr().out)
    assert result["status"] in ("succeeded", "needs_review"), result
    stages = [s["name"] for s in result["stages"]]
    assert stages[:3] == ["pose.extract", "tryon.warp", "tryon.figures"] and "assemble" in " ".join(stages)
    m = result["metrics"]
    assert {"garment_colour", "shading_agreement", "pose_pck", "body_integrity"} <= set(
        m
    )  # both lines' figures
    meta = probe(Path(result["outputs"]["video"]))
    assert (meta.width, meta.height, meta.frames) == (256, 256, 36)
    # the video's lineage runs back through the animation's reference (the dressed photo) to the garment
    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["video"]
    found = _roles_by_stage(lineage)
    assert "garment" in found["tryon.warp"] and found["animate.warp"] >= {"reference_image"}


def _roles_by_stage(node: dict, found: dict | None = None) -> dict[str, set[str]]:
    """Every step in an asset's lineage: stage -> the roles of its inputs."""
    found = {} if found is None else found
    if "step" in node:
        found.setdefault(node["step"]["stage"], set()).update(node["inputs"])
        for child in node["inputs"].values():
            _roles_by_stage(child, found)
    return found


FASHN = """\
version: 1
kind: try_on
name: fashn-cpu
person: {image: assets/tryon/person.png}
garment: {image: assets/tryon/tshirt.png, category: top}
backend: fashn_vton
backend_params: {steps: 2, seed: 3, device: cpu}
"""


def test_the_fashn_backend_dresses_the_person_on_cpu_from_a_local_model_folder(
    prefect_api: None, dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Random tiny weights: the picture is noise, so the gates may ask for review; the run, its
    outputs, its figures and its lineage are what is checked."""
    from dhcore.demo.tryon_assets import write_tryon_assets
    from tests.dhcore.tryon.test_fashn_backend import write_tiny_model

    write_tiny_model(dh_home / "models")  # DH_MODELS_DIR defaults to DH_HOME/models
    write_tryon_assets(tmp_path / "assets" / "tryon")
    spec = tmp_path / "fashn.yaml"
    spec.write_text(FASHN)
    assert main(["run", "--json", str(spec)]) in (0, 3)  # 3: needs_review
    result = json.loads(capsys.readouterr().out)
    assert result["status"] in ("succeeded", "needs_review"), result
    assert [s["name"] for s in result["stages"]] == ["pose.extract", "tryon.fashn_vton", "tryon.figures"]
    assert {"silhouette_iou", "background_psnr"} <= set(result["metrics"])
    assert "garment_ssim" not in result["metrics"]  # no warped garment to compare with
    image = cv2.imread(result["outputs"]["image"])
    assert image.shape == (512, 512, 3)
    lineage = Catalog().production_lineage(result["production_id"])["outputs"]["image"]
    assert lineage["step"]["stage"] == "tryon.fashn_vton"
    assert {"person", "garment", "person_pose"} <= set(lineage["inputs"])
