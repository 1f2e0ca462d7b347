"""The torch-free declaration table agrees with the backend classes it stands for."""

from __future__ import annotations

import subprocess
import sys

from dhcore.animate.registry import ENTRIES, get_backend


def test_declarations_match_the_backend_classes() -> None:
    for name, entry in ENTRIES.items():
        backend, stage = get_backend(name), entry.stage
        assert type(backend).__name__ == entry.impl.rpartition(":")[2] and entry.Params is backend.Params
        params = stage.Params(width=64, height=64)
        assert stage.name == f"animate.{name}" and stage.version == backend.version and stage.backend == name
        assert type(params.params) is backend.Params
        assert sorted(stage.model_ids(params)) == sorted(backend.model_ids(params.params))
        assert stage.device_for(params) == backend.device  # every default: the backend's own


def test_declarations_import_without_torch() -> None:
    code = "import sys, dhcore.animate.registry, dhcore.stages; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"


def test_spec_schema_lists_every_backends_params() -> None:
    """The dance spec's animate section is a union built from the table: `dh schema` shows each backend's params."""
    from dhcore.spec.dance import DanceSpec

    defs = DanceSpec.model_json_schema()["$defs"]
    for entry in ENTRIES.values():
        assert entry.Params.__name__ in defs, entry.name
    assert defs["MusePoseParams"]["properties"]["steps"]["default"] == 20
