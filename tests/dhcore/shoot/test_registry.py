"""The torch-free table the validator and the declarations read agrees with the backend classes."""

from __future__ import annotations

import subprocess
import sys

from dhcore.shoot.backends import BACKENDS
from dhcore.shoot.registry import CAPABILITIES, ENTRIES, get_backend
from dhcore.shoot.stage import declaration


def test_table_matches_the_backend_classes() -> None:
    assert set(CAPABILITIES) == set(BACKENDS) == set(ENTRIES)
    for name, cls in BACKENDS.items():
        caps, entry = CAPABILITIES[name], ENTRIES[name]
        assert (caps.prompts, caps.templates) == (cls.supports_prompts, cls.supports_templates), name
        assert type(get_backend(name)) is cls
        assert (entry.version, entry.device, entry.Params) == (cls.version, cls.device, cls.Params), name
        for params in (
            entry.Params(),
            *([entry.Params(face_backend="insightface")] if name == "template_swap" else []),
        ):
            assert entry.model_ids(params) == cls().model_ids(params), name
        stage = declaration(name)
        assert stage.name == f"shoot.generate.{name}" and stage.version == cls.version


def test_declarations_import_without_torch() -> None:
    code = (
        "import sys; from dhcore.shoot.stage import declaration; "
        "[declaration(n) for n in ('template_swap', 'arc2face', 'cosmicman')]; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"


def test_spec_schema_checks_each_backends_params() -> None:
    """`dh schema` (the editor's check) applies the chosen backend's params model to backend_params."""
    import jsonschema
    import pytest

    from dhcore.spec.schema import schema_for

    schema = schema_for("photo_shoot")
    base = {
        "version": 1,
        "kind": "photo_shoot",
        "identity": {"photos": ["a.png"]},
        "looks": [{"name": "x", "template": "t.png"}],
    }
    jsonschema.validate(
        {**base, "backend": "arc2face", "backend_params": {"steps": 3, "strength": 0.5}}, schema
    )
    jsonschema.validate({**base, "backend_params": {"source": "first"}}, schema)  # template_swap, the default
    with pytest.raises(jsonschema.ValidationError, match="strength"):
        jsonschema.validate({**base, "backend": "cosmicman", "backend_params": {"strength": 0.5}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**base, "backend_params": {"steps": 3}}, schema)  # not a template_swap param
