"""The checked-in JSON Schemas match the models, and example specs point editors at them."""

from __future__ import annotations

from pathlib import Path

from dhcore.spec import schema

REPO = Path(__file__).resolve().parents[3]


def test_schema_files_are_fresh() -> None:
    for kind in schema.KINDS:
        path = REPO / "specs" / "schema" / f"{kind}.schema.json"
        assert path.read_text() == schema.rendered(kind), f"{path} is stale: run `dh schema`"


def test_example_specs_start_with_schema_modeline() -> None:
    examples = sorted((REPO / "specs" / "examples").glob("*.yaml"))
    assert examples
    for spec in examples:
        first = spec.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=../schema/"), spec
        assert (spec.parent / first.split("$schema=", 1)[1]).resolve().is_file()
