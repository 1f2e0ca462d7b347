"""The try_on spec kind: a valid spec loads; no person, no garment, a category the backend cannot do
are located errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage import data

from dhcore.demo.assets import png_writer
from dhcore.demo.tryon_assets import trousers, tshirt
from dhcore.plan import Ref, plan
from dhcore.spec.loader import SpecError, load_spec
from tests import realdata

SPEC = """\
version: 1
kind: try_on
person:
  image: {person}
garment:
  image: {garment}
  category: {category}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tryon")
    png_writer(realdata.rgb("astronaut"))(root / "person.png")
    png_writer(tshirt())(root / "tshirt.png")
    png_writer(np.full((128, 128, 3), 210, np.uint8))(root / "blank.png")
    png_writer(data.coffee())(root / "coffee.png")
    return root


def write(folder: Path, name: str, person: str = "person.png", garment: str = "tshirt.png",
          category: str = "top", extra: str = "") -> Path:  # fmt: skip
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(person=person, garment=garment, category=category) + extra)
    return path


def test_valid_spec_loads_and_plans(folder: Path) -> None:
    loaded = load_spec(write(folder, "ok"))
    assert loaded.kind == "try_on" and loaded.spec.quality.face_distance == 0.3
    p = plan(loaded)
    assert [c.stage for c in p.calls] == ["pose.extract", "tryon.warp", "tryon.figures"]
    assert {i.role for i in p.inputs} == {"person", "garment"} and set(p.outputs) == {"image"}


def test_category_the_backend_cannot_do_is_located(folder: Path) -> None:
    path = write(folder, "dress", category="dress")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value) == (
        f"{path}:7:13: garment.category: backend 'warp' cannot dress a 'dress' (it can: top, bottom)"
    )


def test_unknown_category_is_located(folder: Path) -> None:
    with pytest.raises(SpecError, match=r":7:13: garment.category: should be 'top', 'bottom'"):
        load_spec(write(folder, "hat", category="hat"))


def test_photo_without_a_person_is_located(folder: Path) -> None:
    path = write(folder, "nobody", person="tshirt.png")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert message.startswith(f"{path}:4:10: person.image: {folder / 'tshirt.png'}: no person found")


def test_garment_photo_without_a_garment_is_located(folder: Path) -> None:
    path = write(folder, "blank", garment="blank.png")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value) == (
        f"{path}:6:10: garment.image: {folder / 'blank.png'}: "
        "no garment found: the photo is (nearly) all background colour; "
        "nor does it show a person wearing one (both shoulders visible)"
    )
    path = write(folder, "scene", garment="coffee.png")  # a real photo: neither a flat lay nor a wearer
    with pytest.raises(SpecError, match=r":6:10: garment.image: .*not one plain background colour.*"
                       r"nor does it show a person wearing one"):  # fmt: skip
        load_spec(path)


def test_garment_worn_by_someone_else_is_accepted(folder: Path) -> None:
    assert load_spec(write(folder, "worn", garment="person.png")).kind == "try_on"


def test_bad_backend_params_are_located(folder: Path) -> None:
    path = write(folder, "params", extra="backend_params: {shading: 3}\n")
    with pytest.raises(SpecError, match=r"backend_params.shading: .*less than or equal to 1"):
        load_spec(path)


THEN = """\
then:
  dance:
    motion: {{type: keypoints, path: {motion}}}
    animate: {{width: 256, height: 256}}
    output: {{audio: {{source: {audio}}}}}
"""


def test_then_dance_plans_the_dressed_photo_as_the_dance_reference(folder: Path) -> None:
    from dhcore.demo.dance import save_dance
    from dhcore.routing import deployment_for

    save_dance(folder / "dance.pose.npz", seconds=0.5)
    loaded = load_spec(write(folder, "dance", extra=THEN.format(motion="dance.pose.npz", audio="none")))
    p = plan(loaded)
    stages = [c.stage for c in p.calls]
    assert stages[:3] == ["pose.extract", "tryon.warp", "tryon.figures"] and "animate.warp" in stages
    assert {i.role for i in p.inputs} == {"person", "garment", "motion"}  # no reference photo of its own
    dressed = Ref("try_on", "image")
    assert p.call("animate").inputs["reference_image"] == dressed
    assert p.call("reference_pose").inputs["source"] == dressed
    assert p.outputs["image"] == dressed and p.outputs["video"] == Ref("assemble", "video")
    assert deployment_for(loaded.spec) == "try-on/try-on"  # the warp dancer runs on CPU workers


def test_then_dance_errors_are_located(folder: Path) -> None:
    path = write(folder, "nomotion", extra=THEN.format(motion="missing.npz", audio="none"))
    with pytest.raises(
        SpecError, match=r":10:37: then.dance.motion.path: .*missing.npz: file does not exist"
    ):
        load_spec(path)
    path = write(folder, "driving", extra=THEN.format(motion="dance.pose.npz", audio="driving"))
    with pytest.raises(SpecError, match=r"then.dance: .*'driving' needs a driving video"):
        load_spec(path)


def test_trousers_need_a_person_whose_legs_show(folder: Path) -> None:
    png_writer(trousers())(folder / "trousers.png")
    path = write(folder, "bottom", garment="trousers.png", category="bottom")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value).endswith("both hips and knees must be visible to put a bottom on this person")
    assert ":4:10: person.image:" in str(err.value)


def test_a_skirt_photo_is_no_bottom(folder: Path) -> None:
    import cv2

    skirt = np.full((256, 256, 3), 236, np.uint8)
    cv2.fillPoly(skirt, [np.array([[100, 30], [156, 30], [200, 220], [56, 220]])], (40, 40, 140))
    png_writer(skirt)(folder / "skirt.png")
    png_writer(realdata.rgb("arms_in_front"))(folder / "standing.png")
    path = write(folder, "skirt", person="standing.png", garment="skirt.png", category="bottom")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert ":6:10: garment.image:" in str(err.value) and "not two trouser legs" in str(err.value)
