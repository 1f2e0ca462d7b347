"""Every spec kind has a flow, and every flow takes what `dh submit` sends (dhcore.submission)."""

from __future__ import annotations

import inspect

import pytest

from dhcore.routing import DEPLOYMENTS
from dhcore.spec.kinds import KINDS
from flows.kinds import flow_for_kind


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_has_a_flow_that_accepts_a_submission(kind: str) -> None:
    params = inspect.signature(flow_for_kind(kind).fn).parameters
    assert list(params)[:3] == ["spec_path", "production_id", "submitted"]
    assert params["spec_path"].default is None and params["submitted"].default is None


def test_each_kind_has_a_cpu_deployment() -> None:
    assert {kind for kind, pool in DEPLOYMENTS if pool == "cpu"} == set(KINDS)


def test_an_unknown_kind_has_no_flow() -> None:
    with pytest.raises(KeyError, match="no flow for spec kind 'lip_sync'"):
        flow_for_kind("lip_sync")
