"""Production flows store the parameters Prefect's own flows would, without importing FastAPI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prefect import Flow

from dhcore.spec.kinds import KINDS
from dhcore.submission import Submission, SubmittedInput
from flows.kinds import flow_for_kind
from flows.production_flow import ProductionFlow

REPO = Path(__file__).resolve().parents[2]


SUBMITTED = Submission(
    spec_name="demo.yaml",
    spec_text="version: 1\nkind: dance_video\nname: demo\n",
    origin="studio-1:/specs/demo.yaml",
    spec_sha256="ab" * 32,
    inputs=[
        SubmittedInput(at=("subject", "image"), key="cd/" + "cd" * 32 + ".png", size=12, name="astronaut.png")
    ],
)


@pytest.mark.parametrize(
    "parameters",
    [
        {"spec_path": "/specs/dance.yaml", "production_id": "f" * 32, "submitted": None},
        {"spec_path": None, "production_id": None, "submitted": SUBMITTED},
        {"spec_path": Path("/specs/dance.yaml"), "production_id": None, "submitted": None},
        {"spec_path": "x", "production_id": None, "submitted": object()},  # neither can encode it
    ],
)
def test_parameters_are_stored_as_prefect_stores_them(parameters: dict) -> None:
    production = flow_for_kind("dance_video")
    plain = Flow(production.fn, name="plain")  # Prefect's own serialisation (FastAPI's jsonable_encoder)
    assert production.serialize_parameters(parameters) == plain.serialize_parameters(parameters)


def test_every_kind_runs_as_a_production_flow() -> None:
    assert all(isinstance(flow_for_kind(kind), ProductionFlow) for kind in KINDS)


def test_creating_a_production_flow_run_does_not_import_fastapi(prefect_api: None, tmp_path: Path) -> None:
    """0.3-0.5 s of every `dh run` went to importing FastAPI for Prefect's parameter encoder."""
    from prefect.settings import PREFECT_API_URL

    script = textwrap.dedent(
        """
        import sys
        from flows.production_flow import production_flow

        @production_flow("probe")
        def probe(spec_path: str | None = None, production_id: str | None = None) -> str:
            return "ran"

        state = probe(spec_path="probe.yaml", production_id="p1", return_state=True)
        print(state.result(), "fastapi" in sys.modules)
        """
    )
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["ran", "False"]
