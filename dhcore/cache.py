"""The cache key of a stage run, shared by the catalog and Prefect (see DESIGN.md).

sha256 over: stage name, stage version, canonical params JSON, weights sha256, and the
inputs' content hashes sorted by role. Equal keys mean equal outputs, so a hit costs a
lookup; changing one face setting changes only the keys of the face stages and what
consumes their outputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def _plain(value: Any) -> Any:
    """JSON-able form of what params may hold: pydantic models (nested too), paths, fractions."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (Path, Fraction)):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} into a cache key")


def canonical_json(value: Any) -> str:
    return json.dumps(_plain(value) if isinstance(value, BaseModel) else value, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, default=_plain)  # fmt: skip


def cache_key(
    stage: str, version: str, params: BaseModel | Mapping[str, Any], weights_sha256: str | None,
    input_hashes: Mapping[str, str],
) -> str:  # fmt: skip
    h = hashlib.sha256()
    for part in (
        stage,
        version,
        canonical_json(params),
        weights_sha256 or "",
        *(f"{role}={digest}" for role, digest in sorted(input_hashes.items())),
    ):
        h.update(part.encode())
        h.update(b"\x1f")
    return h.hexdigest()
