"""Flow-run names: the production's name (the spec's `name`, or its file name)."""

from __future__ import annotations

from pathlib import Path

from prefect.runtime import flow_run

from dhcore.spec.loader import SpecError, load_spec
from dhcore.submission import Submission


def production_name() -> str:
    submitted = flow_run.parameters.get("submitted")
    if submitted:  # a Submission, or its JSON form
        return Submission.model_validate(submitted).production_name()
    path = str(flow_run.parameters.get("spec_path") or "production")
    try:
        return load_spec(path, check_content=False).name
    except SpecError:
        return Path(path).stem
