"""The `face:` params section and the declared face models."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from dhcore.face.params import FaceParams, IdentityParams, RefineParams
from dhcore.face.refine import next_weight
from dhcore.models.registry import get


def test_embedded_defaults() -> None:
    p = FaceParams()
    assert (p.identity.backend, p.restore.backend, p.refine.backend) == ("dlib", "classical", "landmark_swap")
    assert p.identity.enabled and p.identity.stride == 1 and p.refine.restore_after
    assert p.identity.distance_threshold() == 0.6 and p.refine_threshold() == 0.6
    p = FaceParams(identity={"backend": "insightface", "threshold": 0.5}, refine={"threshold": 0.4})
    assert p.identity.distance_threshold() == 0.5 and p.refine_threshold() == 0.4


def test_bad_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        FaceParams(identity={"backend": "dlib", "treshold": 0.5})
    with pytest.raises(ValidationError):
        IdentityParams(backend="opencv")
    with pytest.raises(ValidationError):
        RefineParams(reference_shape=1.5)
    with pytest.raises(ValidationError):
        FaceParams(restore={"backend": "gfpgan", "strength": 2})
    schema = FaceParams.model_json_schema()
    assert {"identity", "restore", "refine"} <= set(schema["properties"])


def test_refinement_switches_on_at_once_and_fades_out() -> None:
    w = next_weight(0.0, 0.65, 0.6, 0.25)
    assert w == 1.0
    assert next_weight(w, 0.57, 0.6, 0.25) == 1.0  # within 10 % below the threshold: held
    w = next_weight(w, 0.40, 0.6, 0.25)
    assert w == 0.75
    for _ in range(5):
        w = next_weight(w, 0.40, 0.6, 0.25)
    assert w == 0.0


@pytest.mark.parametrize("model_id", ["gfpgan_1.4", "codeformer", "inswapper_128", "buffalo_l"])
def test_face_models_are_declared(model_id: str) -> None:
    spec = get(model_id)
    assert spec.files and spec.format == "onnx" and spec.license and spec.source
    for name, digest in spec.sha256.items():
        assert name in spec.files and re.fullmatch(r"[0-9a-f]{64}", digest)
    assert set(get("buffalo_l").sha256) == {"det_10g.onnx", "w600k_r50.onnx"}


def test_stage_weights_digest_follows_the_models_used(models_root, tmp_path) -> None:
    from dhcore.face.params import RestoreParams
    from dhcore.face.weights import stage_weights_sha256
    from dhcore.models import registry
    from tests.dhcore.face.face_helpers import tiny_restorer

    ident = IdentityParams()
    base = stage_weights_sha256("face.identity", ident)
    assert base == stage_weights_sha256("face.restore", ident, RestoreParams())  # classical: no extra weights
    registry.add("gfpgan_1.4", tiny_restorer(tmp_path / "gfpgan_1.4.onnx"))
    with_gfpgan = stage_weights_sha256("face.restore", ident, RestoreParams(backend="gfpgan"))
    assert with_gfpgan != base
    refine_digest = stage_weights_sha256(
        "face.refine", ident, RestoreParams(backend="gfpgan"), RefineParams()
    )
    assert refine_digest == with_gfpgan  # landmark_swap + restore_after gfpgan
    assert stage_weights_sha256("face.identity", IdentityParams(backend="mediapipe")) != base
