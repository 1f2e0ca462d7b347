"""Flow-run names: the production's name (the spec's `name`, or its file name)."""

from __future__ import annotations

from pathlib import Path

from prefect.runtime import flow_run

from dhcore.spec.loader import SpecError, load_spec


def production_name() -> str:
    path = str(flow_run.parameters.get("spec_path", "production"))
    try:
        return load_spec(path, check_content=False).name
    except SpecError:
        return Path(path).stem
