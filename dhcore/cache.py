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
from typing import Any

from pydantic import BaseModel


def canonical_json(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


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
