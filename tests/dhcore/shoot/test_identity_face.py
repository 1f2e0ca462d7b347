"""A group photo as the photo shoot's identity: `identity.face: N` names the person (left to right);
without it the spec asks which face; the identity stage and template_swap both use face N."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.assets import png_writer
from dhcore.demo.shoot_assets import face_crops
from dhcore.face.faces import load_analyzer
from dhcore.face.reference import pick_face, reference_face
from dhcore.plans.photo_shoot import ShootPlan
from dhcore.shoot import identity, score
from dhcore.shoot.backends.template_swap import TemplateSwapBackend, TemplateSwapParams
from dhcore.shoot.base import ShootInputs
from dhcore.spec.loader import SpecError, load_spec
from tests import realdata

SPEC = """\
version: 1
kind: photo_shoot
identity:
  photos: [group.png]
{face}looks:
  - {{name: astronaut, template: astronaut.png, count: 1}}
backend: template_swap
outputs: {{video: {{enabled: false}}}}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("identity_face")
    png_writer(realdata.rgb("six_people"))(root / "group.png")
    png_writer(realdata.rgb("astronaut"))(root / "astronaut.png")
    png_writer(face_crops(realdata.rgb("six_people"))[0])(root / "face0.png")
    return root


def _spec(folder: Path, name: str, face: str = "") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(face=face))
    return path


def test_without_a_face_index_the_group_photo_is_refused(folder: Path) -> None:
    with pytest.raises(
        SpecError, match=r"identity.photos.0: .*6 faces of similar size.*Set identity.face: N"
    ):
        load_spec(_spec(folder, "nobody"))
    with pytest.raises(SpecError, match=r"identity.face: .*no face 6 \(it shows 6"):
        load_spec(_spec(folder, "seven", "  face: 6\n"))


def test_face_n_is_the_identity_everywhere(folder: Path, tmp_path: Path) -> None:
    loaded = load_spec(_spec(folder, "third", "  face: 0\n"))
    shoot = ShootPlan(loaded)
    assert shoot.identity_calls()[0].params.face == 0
    assert loaded.spec.backend_call_params()["identity_face"] == 0
    analyzer = load_analyzer("dlib")
    first = reference_face(folder / "face0.png", analyzer).embedding  # the same person, cropped alone
    made = identity.STAGE.call(tmp_path / "id", identity.Params(face=0), photo=[folder / "group.png"])
    embedding = np.load(made.outputs["embedding"].path)
    assert analyzer.distance(embedding, first) < 0.3
    out = tmp_path / "candidate.png"
    inputs = ShootInputs((folder / "group.png",), None, folder / "astronaut.png", None, None, 0, 512, 640)
    swapped = TemplateSwapBackend().generate(inputs, TemplateSwapParams(identity_face=0), out)
    assert 0 < swapped.metrics["realism"] <= 1 and swapped.metrics["distortion"] > 0  # reported for selection
    scored = score.STAGE.call(tmp_path / "score", image=out, embedding=made.outputs["embedding"].path)
    assert scored.metrics["identity_pass"] == 1.0
    faces = analyzer.detect(realdata.rgb("six_people"))
    assert pick_face(faces, 0) is not pick_face(faces)  # face 0 is not simply the largest
