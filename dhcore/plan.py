"""A production as a pure plan: the spec's input files and the stage calls that turn them into deliverables.

A plan is data (no Prefect, no catalog): each call names a declared stage, its typed params, and
where each input comes from (a spec input role, or an earlier call's output role). Flows only walk
it. Comparing two plans says which calls a spec change re-runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dhcore.cache import canonical_json
from dhcore.stage import StageParams


@dataclass(frozen=True)
class Ref:
    """An input source: a spec input (`call` None) or an earlier call's output, by role."""

    call: str | None
    role: str


def spec_input(role: str) -> Ref:
    return Ref(None, role)


@dataclass(frozen=True)
class SpecInput:
    role: str
    path: Path
    kind: str


Binding = Ref | list[Ref] | None


@dataclass(frozen=True)
class Call:
    id: str
    stage: str
    params: StageParams
    inputs: dict[str, Binding] = field(default_factory=dict)
    #: False: later calls may start before this one ends (PCK alongside assembly; candidates in parallel)
    wait: bool = True

    def upstream(self) -> set[str]:
        refs = [r for v in self.inputs.values() for r in (v if isinstance(v, list) else [v]) if r is not None]
        return {r.call for r in refs if r.call is not None}


@dataclass(frozen=True)
class Plan:
    inputs: tuple[SpecInput, ...]
    calls: tuple[Call, ...]
    #: deliverables: production output role -> where it comes from
    outputs: dict[str, Ref]

    def call(self, call_id: str) -> Call:
        return next(c for c in self.calls if c.id == call_id)


def plan(loaded: Any) -> Plan:
    """The plan of a loaded spec (dance_video, try_on, face_swap; the photo shoot is planned round by round: plans.photo_shoot)."""
    if loaded.kind == "dance_video":
        from dhcore.plans.dance import plan_dance

        return plan_dance(loaded)
    if loaded.kind == "try_on":
        from dhcore.plans.try_on import plan_try_on

        return plan_try_on(loaded)
    if loaded.kind == "face_swap":
        from dhcore.plans.face_swap import plan_face_swap

        return plan_face_swap(loaded)
    if loaded.kind == "face_edit":
        from dhcore.plans.face_edit import plan_face_edit

        return plan_face_edit(loaded)
    if loaded.kind == "talking_head":
        from dhcore.plans.talking_head import plan_talking_head

        return plan_talking_head(loaded)
    if loaded.kind == "face_reenact":
        from dhcore.plans.face_reenact import plan_face_reenact

        return plan_face_reenact(loaded)
    raise ValueError(f"no single plan for {loaded.kind} (see dhcore.plans)")


def _signature(call: Call, inputs: dict[str, SpecInput]) -> tuple[Any, ...]:
    def bound(v: Binding) -> Any:
        if isinstance(v, list):
            return tuple(bound(r) for r in v)
        if v is None:
            return None
        return (
            (v.call, v.role)
            if v.call is not None
            else (None, v.role, str(inputs[v.role].path) if v.role in inputs else None)
        )

    return (
        call.stage,
        canonical_json(call.params),
        tuple(sorted((r, bound(v)) for r, v in call.inputs.items())),
    )


def changed_calls(before: Plan, after: Plan) -> set[str]:
    """Ids of `after`'s calls that would not hit the cache of `before`: own stage, params or inputs
    differ (an input file by path), or an upstream call changed."""
    old = {c.id: c for c in before.calls}
    old_inputs, new_inputs = {i.role: i for i in before.inputs}, {i.role: i for i in after.inputs}
    changed: set[str] = set()
    for call in after.calls:  # plans list calls in dependency order
        prev = old.get(call.id)
        if (
            prev is None
            or _signature(prev, old_inputs) != _signature(call, new_inputs)
            or call.upstream() & changed
        ):
            changed.add(call.id)
    return changed
