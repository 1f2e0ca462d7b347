"""The capability table the validator reads agrees with the backend classes."""

from __future__ import annotations

from dhcore.shoot.backends import BACKENDS
from dhcore.shoot.registry import CAPABILITIES, get_backend


def test_capabilities_match_the_backend_classes() -> None:
    assert set(CAPABILITIES) == set(BACKENDS)
    for name, cls in BACKENDS.items():
        caps = CAPABILITIES[name]
        assert (caps.prompts, caps.templates) == (cls.supports_prompts, cls.supports_templates), name
        assert type(get_backend(name)) is cls
