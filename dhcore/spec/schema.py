"""JSON Schema of each spec kind, generated from the pydantic models into specs/schema/.

Editors pick it up through the yaml-language-server modeline at the top of each example spec;
a test fails when the checked-in files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter

from dhcore.spec.kinds import KINDS, TYPES

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "specs" / "schema"


def schema_for(kind: str) -> dict:
    schema = TypeAdapter(TYPES[kind]).json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://dh.local/schema/{kind}.schema.json"
    return schema


def rendered(kind: str) -> str:
    return json.dumps(schema_for(kind), indent=2, sort_keys=True) + "\n"


def write_all(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = folder / f"{kind}.schema.json"
        path.write_text(rendered(kind))
        written.append(path)
    return written
