"""The backend tables of the pose, face analyzer, restorer and refiner families."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from dhcore.backends import Backend, Table, implementation
from dhcore.face.backends import ANALYZERS, REFINERS, RESTORERS, refiner_model_ids, restorer_model_ids
from dhcore.face.params import IdentityParams, RefineParams, RestoreParams
from dhcore.models import ids
from dhcore.pose.detectors import DETECTORS
from dhcore.pose.extract import Params as PoseParams
from dhcore.spec.try_on import BACKEND_CATEGORIES, TryOnSpec
from dhcore.tryon.backends import TRY_ON

REPO = Path(__file__).resolve().parents[2]


def _names(model: type, field: str) -> set[str]:
    return set(get_args(model.model_fields[field].annotation)) - {"none"}


@pytest.mark.parametrize(
    ("table", "names"),
    [
        (DETECTORS, _names(PoseParams, "detector")),
        (ANALYZERS, _names(IdentityParams, "backend")),
        (RESTORERS, _names(RestoreParams, "backend")),
        (REFINERS, _names(RefineParams, "backend")),
        (TRY_ON, _names(TryOnSpec, "backend")),
    ],
)
def test_the_spec_offers_exactly_the_backends_of_each_table(table: Table, names: set[str]) -> None:
    assert set(table) == names


@pytest.mark.parametrize("table", [DETECTORS, RESTORERS, REFINERS])
def test_every_implementation_exists_and_builds_from_params(table: Table) -> None:
    for name in table:
        cls = table[name].load()
        assert cls.__name__ == table[name].impl.rsplit(":", 1)[1] and callable(cls.open), name


def test_every_declared_model_id_is_a_known_model() -> None:
    declared = {
        m for t in (DETECTORS, ANALYZERS, RESTORERS, REFINERS, TRY_ON) for n in t for m in t[n].model_ids
    }
    assert declared and declared <= set(ids.ALL)


def test_every_try_on_backend_is_a_stage_with_its_categories() -> None:
    from dhcore import stages

    for name in TRY_ON:
        stage = TRY_ON[name].load()
        assert stages.get(stage.name) is stage and name in BACKEND_CATEGORIES, name
        assert set(stage.model_ids(stage.Params())) == set(TRY_ON[name].model_ids), name


def test_an_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"unknown face restore backend 'gfpgan2' \(known: classical, gfpgan"
    ):
        RESTORERS["gfpgan2"]
    assert "none" not in RESTORERS and restorer_model_ids("none") == []
    assert implementation("dhcore.backends:Backend") is Backend


def test_refiner_model_ids_follow_the_capabilities() -> None:
    inswapper, swap = RefineParams(backend="inswapper"), RefineParams(backend="landmark_swap")
    # dlib's 128-d descriptors are not ArcFace's: inswapper also reads insightface's ArcFace
    assert refiner_model_ids(inswapper, IdentityParams(backend="dlib")) == [ids.INSWAPPER, ids.BUFFALO_L]
    assert refiner_model_ids(inswapper, IdentityParams(backend="insightface")) == [ids.INSWAPPER]
    assert refiner_model_ids(swap, IdentityParams(backend="insightface")) == []
    assert restorer_model_ids("codeformer") == [ids.CODEFORMER]


def test_the_tables_import_no_model_runtime() -> None:
    code = (
        "import sys, dhcore.face.backends, dhcore.pose.detectors; "
        "print(sorted(m for m in ('torch', 'onnxruntime', 'mediapipe', 'dlib', 'cv2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)  # noqa: S603
    assert out.stdout.strip() == "[]"
