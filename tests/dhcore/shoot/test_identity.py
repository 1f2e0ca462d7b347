"""Stage shoot.identity on real photos: Grace Hopper and variants are one person; the astronaut
among them is reported as someone else; a photo without a face is named; the maths of the mean
and of the leave-one-out outlier search."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.face.faces import euclidean, load_analyzer
from dhcore.shoot import identity
from dhcore.shoot.checks import identity_problems
from tests.dhcore.shoot.shoot_helpers import write_rgb


@pytest.fixture(scope="module")
def astronaut_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from skimage import data

    return write_rgb(tmp_path_factory.mktemp("photos") / "astronaut.png", data.astronaut())


def test_hopper_and_variants_are_one_identity(shoot_assets, tmp_path: Path) -> None:
    result = identity.STAGE.call(tmp_path, photo=list(shoot_assets["identity"]))
    vector = np.load(result.outputs["embedding"].path, allow_pickle=False)
    meta = result.outputs["embedding"].meta
    assert vector.shape == (128,) and vector.dtype == np.float32
    assert meta["backend"] == "dlib" and meta["dim"] == 128 and meta["threshold"] == 0.6
    assert meta["used"] == [0, 1, 2, 3] and meta["used_paths"] == [str(p) for p in shoot_assets["identity"]]
    assert result.metrics["identity_photos_used"] == 4 and not result.warnings
    report = json.loads(result.outputs["report"].path.read_text())
    assert [p["status"] for p in report["photos"]] == ["used"] * 4
    # every variant is close to the mean and to the mean of the others
    assert all(p["distance_to_mean"] < 0.25 and p["distance_to_others"] < 0.3 for p in report["photos"])
    # the identity keeps dlib's scale: the photos' own descriptors are ~1.4 long, and so is the mean
    faces = load_analyzer("dlib")
    assert 1.2 < float(np.linalg.norm(vector)) < 1.6
    assert all(euclidean(vector, faces.embed(*_face(faces, p))) < 0.25 for p in shoot_assets["identity"])


def _face(faces, path: Path):
    from dhcore.face.faces import read_image

    image = read_image(path)
    return image, faces.detect(image)[0]


def test_a_different_person_is_reported_and_left_out(shoot_assets, astronaut_path, tmp_path: Path) -> None:
    photos = [*shoot_assets["identity"][:3], astronaut_path]
    result = identity.STAGE.call(tmp_path, photo=list(photos))
    report = json.loads(result.outputs["report"].path.read_text())
    statuses = [p["status"] for p in report["photos"]]
    assert statuses == ["used", "used", "used", "different_person"]
    astronaut = report["photos"][3]
    assert astronaut["distance_to_mean"] > 0.6 and "different person" in astronaut["reasons"][0]
    assert result.outputs["embedding"].meta["used"] == [0, 1, 2]
    assert any("photo 3" in w and "different person" in w for w in result.warnings)
    # the embedding is Hopper's alone: same as without the astronaut
    alone = identity.STAGE.call(tmp_path / "alone", photo=list(photos[:3])).outputs["embedding"].path
    assert np.allclose(np.load(result.outputs["embedding"].path), np.load(alone), atol=1e-6)


def test_validator_names_the_entries(shoot_assets, astronaut_path, faceless) -> None:
    photos = [shoot_assets["identity"][0], faceless, shoot_assets["identity"][1], astronaut_path]
    problems = identity_problems(photos)
    assert set(problems) == {1, 3}
    assert "no face" in problems[1]
    assert "different person" in problems[3] and "photo(s) 0, 2" in problems[3]
    assert identity_problems(shoot_assets["identity"]) == {}


def test_two_photos_that_disagree_report_the_second(shoot_assets, astronaut_path) -> None:
    assert set(identity_problems([astronaut_path, shoot_assets["identity"][0]])) == {1}
    assert set(identity_problems([shoot_assets["identity"][0], astronaut_path])) == {1}


def test_no_usable_photo_is_an_input_error_naming_each(faceless, tmp_path: Path) -> None:
    unreadable = tmp_path / "broken.jpg"
    unreadable.write_bytes(b"not an image")
    with pytest.raises(
        InputError, match=r"no usable identity photo: photo 0 .*no face.*photo 1 .*not a readable"
    ):
        identity.STAGE.call(tmp_path / "out", photo=[faceless, unreadable])
    assert identity_problems([faceless, unreadable]) == {
        0: "no face found (face backend dlib)",
        1: "not a readable image",
    }


def test_quality_filter_sets_blurry_and_small_faces_aside(shoot_assets, tmp_path: Path) -> None:
    import cv2

    from dhcore.face.faces import read_image

    hopper = read_image(shoot_assets["identity"][0])
    blurry = write_rgb(tmp_path / "blurry.png", cv2.GaussianBlur(hopper, (0, 0), 5))
    small = write_rgb(tmp_path / "small.png", cv2.resize(hopper, None, fx=0.4, fy=0.4))  # an 86 px face
    params = identity.Params(min_face_px=100)
    analysis = identity.analyse([shoot_assets["identity"][0], blurry, small], params)
    by = {p.index: p for p in analysis.photos}
    assert by[0].status == "used"
    assert by[1].status == "filtered" and any("blurry" in r for r in by[1].reasons)
    assert by[2].status == "filtered" and any("too small (86 px < 100)" in r for r in by[2].reasons)
    # filtered photos still get their distance to the identity in the report
    assert by[1].distance_to_mean is not None
    # when nothing passes, the validator names the filtered photos with the reason
    only_blurry = identity_problems([blurry])
    assert (
        list(only_blurry) == [0]
        and "no usable identity photo" in only_blurry[0]
        and "blurry" in only_blurry[0]
    )


def test_mean_embedding_is_the_mean_direction_at_the_mean_length() -> None:
    a = np.array([3.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0])
    mean = identity.mean_embedding([a, b])
    assert np.allclose(mean / np.linalg.norm(mean), np.array([1, 1, 0]) / np.sqrt(2), atol=1e-6)
    assert np.isclose(np.linalg.norm(mean), 2.0)
    with pytest.raises(ValueError, match="zero length"):
        identity.mean_embedding([a, np.zeros(3)])


def test_find_outliers_removes_the_worst_first() -> None:
    rng = np.random.default_rng(0)
    person = rng.normal(size=16)
    same = [person + 0.05 * rng.normal(size=16) for _ in range(3)]
    other = rng.normal(size=16)

    def cosine(x: np.ndarray, y: np.ndarray) -> float:
        return float(1 - x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))

    assert identity.find_outliers(same, cosine, 0.3) == {}
    found = identity.find_outliers([same[0], other, same[1], same[2]], cosine, 0.3)
    assert list(found) == [1] and found[1] > 0.3
    # two intruders of two different people among four: both go, the person stays
    found = identity.find_outliers([*same, other, rng.normal(size=16)], cosine, 0.3)
    assert set(found) == {3, 4}
    assert identity.find_outliers([same[0]], cosine, 0.3) == {}


def test_insightface_backend_gives_a_unit_512_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 512-d path with tiny ONNX stand-ins of buffalo_l (SCRFD fires on a bright square)."""
    from dataclasses import replace

    from dhcore.models import registry
    from dhcore.shoot import score
    from tests.dhcore.face.face_helpers import tiny_arcface, tiny_scrfd

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setitem(registry.REGISTRY, "buffalo_l", replace(registry.get("buffalo_l"), sha256={}))
    tiny_scrfd(tmp_path / "pack" / "det_10g.onnx")
    tiny_arcface(tmp_path / "pack" / "w600k_r50.onnx")
    registry.add("buffalo_l", tmp_path / "pack")
    image = np.full((256, 256, 3), 10, np.uint8)
    image[80:176, 80:176] = np.random.default_rng(0).integers(180, 256, (96, 96, 3), dtype=np.uint8)
    photo = write_rgb(tmp_path / "square.png", image)
    photos = [photo, write_rgb(tmp_path / "mirrored.png", image[:, ::-1])]
    result = identity.STAGE.call(tmp_path / "out", identity.Params(backend="insightface"), photo=list(photos))
    vector = np.load(result.outputs["embedding"].path)
    assert vector.shape == (512,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert result.outputs["embedding"].meta["distance"] == "cosine (1 - cos)"
    scored = score.STAGE.call(
        tmp_path / "s",
        score.Params(backend="insightface"),
        image=photos[0],
        embedding=result.outputs["embedding"].path,
    )
    assert scored.metrics["identity_pass"] == 1.0 and scored.metrics["identity_distance"] < 0.6
