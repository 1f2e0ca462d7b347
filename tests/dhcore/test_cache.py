"""Cache keys change exactly when something that changes the output changes."""

from __future__ import annotations

from dhcore.cache import cache_key
from dhcore.stage import StageParams


class P(StageParams):
    crf: int = 18
    codec: str = "h264"


def test_key_is_deterministic_and_order_free() -> None:
    a = cache_key("assemble", "1", P(), None, {"frames": "f" * 64, "audio": "a" * 64})
    b = cache_key("assemble", "1", {"codec": "h264", "crf": 18}, "", {"audio": "a" * 64, "frames": "f" * 64})
    assert a == b and len(a) == 64


def test_every_ingredient_changes_the_key() -> None:
    base = cache_key("assemble", "1", P(), None, {"frames": "f" * 64})
    variants = [
        cache_key("assemble2", "1", P(), None, {"frames": "f" * 64}),
        cache_key("assemble", "2", P(), None, {"frames": "f" * 64}),
        cache_key("assemble", "1", P(crf=20), None, {"frames": "f" * 64}),
        cache_key("assemble", "1", P(), "w" * 64, {"frames": "f" * 64}),
        cache_key("assemble", "1", P(), None, {"frames": "e" * 64}),
        cache_key("assemble", "1", P(), None, {"video": "f" * 64}),
    ]
    assert len({base, *variants}) == 7


def test_nested_models_are_keyed_by_their_fields_not_their_repr() -> None:
    from dhcore.cache import canonical_json

    assert canonical_json({"inner": P(crf=20), "b": 1}) == '{"b":1,"inner":{"codec":"h264","crf":20}}'
    a = cache_key("s", "1", {"inner": P(crf=20)}, None, {})
    assert a == cache_key("s", "1", {"inner": {"codec": "h264", "crf": 20}}, None, {})
