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


def test_prefect_yaml_deploys_every_routed_deployment_from_a_real_flow() -> None:
    """`prefect deploy --all` reads this file: it must parse, and name the flows the routing table sends to."""
    import importlib
    from pathlib import Path

    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "prefect.yaml").read_text())
    deployed = {}
    for deployment in config["deployments"]:
        path, function = deployment["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), function)
        deployed[f"{flow.name}/{deployment['name']}"] = deployment["work_pool"]["name"]
    for (_kind, pool), name in DEPLOYMENTS.items():
        assert deployed.get(name) == f"dh-{pool}", name
