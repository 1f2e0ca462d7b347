"""Selection of delivered candidates and retry bookkeeping (pure functions)."""

from __future__ import annotations

import itertools

import pytest

from dhcore.shoot.select import (
    SEED_MODULUS,
    Candidate,
    candidate_seed,
    first_round,
    passes,
    plan_round,
    select,
    shortfall,
)

T = 0.6


def c(look: str, index: int, distance: float | None, quality: float = 0.5) -> Candidate:
    return Candidate(look, index, seed=index, distance=distance, quality=quality)


def names(cands: list[Candidate]) -> list[str]:
    return [f"{x.look}{x.index}" for x in cands]


def test_passes_at_and_below_the_threshold_only() -> None:
    assert passes(c("a", 0, 0.6), T) and passes(c("a", 0, 0.1), T)
    assert not passes(c("a", 0, 0.6000001), T) and not passes(c("a", 0, None), T)


def test_all_pass_best_first() -> None:
    cands = [c("a", 0, 0.40), c("a", 1, 0.30), c("b", 0, 0.50), c("b", 1, 0.20)]
    sel = select(cands, {"a": 2, "b": 2}, T)
    assert names(sel.delivered) == ["b1", "a1", "a0", "b0"]
    assert sel.needed == {"a": 0, "b": 0} and sel.passing == {"a": 2, "b": 2}
    assert sel.wanted == 4 and sel.missing == 0
    assert shortfall(sel) == ([], None)


def test_ties_break_on_quality_then_look_order_then_index() -> None:
    cands = [
        c("b", 0, 0.3, quality=0.5),
        c("a", 1, 0.3, quality=0.5),
        c("a", 0, 0.3, quality=0.5),
        c("b", 1, 0.3 + 1e-7, quality=0.9),  # equal to 4 decimals: a tie, won on quality
    ]
    sel = select(cands, {"a": 2, "b": 2}, T)
    assert names(sel.delivered) == ["b1", "a0", "a1", "b0"]


def test_result_does_not_depend_on_input_order() -> None:
    cands = [c("a", 0, 0.4), c("a", 1, 0.4), c("b", 0, 0.2), c("b", 1, 0.7), c("c", 0, None), c("c", 1, 0.4)]
    counts = {"a": 2, "b": 2, "c": 2}
    expected = select(cands, counts, T)
    for perm in itertools.permutations(cands):
        assert select(list(perm), counts, T) == expected
    assert names(expected.delivered) == ["b0", "a0", "a1", "c1"]


def test_too_few_passing_asks_each_short_look_for_the_difference() -> None:
    cands = [c("a", 0, 0.3), c("a", 1, 0.7), c("b", 0, None), c("b", 1, 0.9), c("c", 0, 0.1), c("c", 1, 0.2)]
    sel = select(cands, {"a": 2, "b": 2, "c": 2}, T)
    assert names(sel.delivered) == ["c0", "c1", "a0"]
    assert sel.needed == {"a": 1, "b": 2, "c": 0} and sel.missing == 3
    warnings, error = shortfall(sel)
    assert error is None and len(warnings) == 1
    assert "only 3 of 6 images passed the identity threshold 0.6" in warnings[0]
    assert "a 1" in warnings[0] and "b 0" in warnings[0] and "c 2" not in warnings[0]


def test_require_turns_the_shortfall_into_an_error() -> None:
    sel = select([c("a", 0, 0.3), c("a", 1, 0.8)], {"a": 2}, T)
    warnings, error = shortfall(sel, require=2)
    assert (
        warnings
        and error == "selection.require asks for 2 images within the identity threshold; only 1 passed"
    )
    assert shortfall(sel, require=1)[1] is None


def test_top_k_smaller_than_passing_keeps_the_best_and_needs_nothing() -> None:
    cands = [c("a", 0, 0.5), c("a", 1, 0.1), c("b", 0, 0.3), c("b", 1, 0.9)]
    sel = select(cands, {"a": 2, "b": 2}, T, top_k=2)
    assert names(sel.delivered) == ["a1", "b0"]
    assert sel.wanted == 2 and sel.needed == {"a": 0, "b": 0}  # b1 failed, but two are enough
    assert shortfall(sel) == ([], None)


def test_top_k_larger_than_passing_still_retries() -> None:
    sel = select([c("a", 0, 0.5), c("b", 0, 0.9)], {"a": 1, "b": 1}, T, top_k=5)
    assert sel.wanted == 2 and sel.needed == {"a": 0, "b": 1} and sel.missing == 1


def test_a_look_delivers_at_most_its_count() -> None:
    cands = [c("a", i, 0.1 + 0.01 * i) for i in range(4)] + [c("b", 0, 0.5)]
    sel = select(cands, {"a": 2, "b": 1}, T)
    assert names(sel.delivered) == ["a0", "a1", "b0"] and sel.passing["a"] == 4


def test_unknown_looks_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown looks: z"):
        select([c("z", 0, 0.1)], {"a": 1}, T)


def test_seeds_are_distinct_across_looks_and_rounds() -> None:
    look_seeds = {"a": 0, "b": 1, "c": 2}  # the spec's default: shoot seed + look index
    plan = first_round({"a": 3, "b": 3, "c": 3}, look_seeds)
    assert [(look, i) for look, i, _ in plan][:3] == [("a", 0), ("a", 1), ("a", 2)]
    assert plan[0][2] == 0 and plan[3][2] == 1  # index 0 keeps the look's own seed
    seeds = [seed for *_, seed in plan]
    assert len(set(seeds)) == len(seeds)
    assert candidate_seed(2**32 - 1, 1) < SEED_MODULUS


def test_retry_rounds_number_on_and_stop_when_enough_pass() -> None:
    counts, look_seeds = {"a": 2, "b": 2}, {"a": 10, "b": 11}
    round0 = first_round(counts, look_seeds)
    distances = {("a", 0): 0.3, ("a", 1): 0.8, ("b", 0): 0.9, ("b", 1): 0.95}
    cands = [Candidate(look, i, seed, distances[(look, i)]) for look, i, seed in round0]
    sel = select(cands, counts, T)
    plan = plan_round(sel, cands, look_seeds)
    assert [(look, i) for look, i, _ in plan] == [("a", 2), ("b", 2), ("b", 3)]
    assert {seed for *_, seed in plan}.isdisjoint({x.seed for x in cands})
    # round 1: a2 passes, b2 fails, b3 passes -> b still short by one
    more = {("a", 2): 0.2, ("b", 2): 0.7, ("b", 3): 0.4}
    cands += [Candidate(look, i, seed, more[(look, i)]) for look, i, seed in plan]
    sel = select(cands, counts, T)
    assert sel.needed == {"a": 0, "b": 1}
    plan = plan_round(sel, cands, look_seeds)
    assert [(look, i) for look, i, _ in plan] == [("b", 4)]
    cands.append(Candidate("b", 4, plan[0][2], 0.5))
    sel = select(cands, counts, T)
    assert sel.needed == {"a": 0, "b": 0} and plan_round(sel, cands, look_seeds) == []
    assert names(sel.delivered) == ["a2", "a0", "b3", "b4"]
