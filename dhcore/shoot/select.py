"""Which candidates a shoot delivers, and how many more each look needs (pure functions).

Ranking: identity distance plus REALISM_WEIGHT x (1 - realism) where the backend measured the
realism figure (dhcore.face.realism: a pasted-looking face ranks as if a little further from the
identity), lower first, compared to 4 decimals so float noise is a tie; then quality (higher first), then look order and candidate index, so the result never depends on
the order scores arrive in. Each look delivers at most its `count` passing candidates; the
shoot delivers at most `top_k` of those, best first.

Retries: the shoot wants `min(top_k, sum of counts)` images (all counts without top_k). While
fewer pass, every look with fewer passing than its count asks for the difference again, with
new seeds (`plan_round`); looks already full ask for nothing. After the last round
`shortfall` gives the warning (and the error when `selection.require` is not met).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: candidate seeds step by a large prime so a look's seed (the shoot's seed + look index, by
#: default) and the seeds of its retries never meet those of its neighbours
SEED_STRIDE = 1_000_003
SEED_MODULUS = 2**32
DISTANCE_DECIMALS = 4
#: how much identity distance one unit of lost realism costs in the ranking
REALISM_WEIGHT = 0.2


@dataclass(frozen=True)
class Candidate:
    look: str
    index: int  # number within its look; retries continue the numbering
    seed: int
    distance: float | None  # identity distance; None when no face was found (fails)
    quality: float = 0.0
    path: Path | None = None
    realism: float | None = None  # 0-1; None when the backend does not measure it


@dataclass(frozen=True)
class Selection:
    delivered: list[Candidate]  # best first
    passing: dict[str, int]  # per look: candidates within the threshold (all rounds)
    needed: dict[str, int]  # per look: more passing candidates wanted (0: none)
    wanted: int
    threshold: float

    @property
    def missing(self) -> int:
        return max(0, self.wanted - len(self.delivered))


def passes(candidate: Candidate, threshold: float) -> bool:
    return candidate.distance is not None and candidate.distance <= threshold


def candidate_seed(look_seed: int, index: int) -> int:
    """Seed of a look's index-th candidate (index 0 uses the look's own seed)."""
    return (int(look_seed) + int(index) * SEED_STRIDE) % SEED_MODULUS


def _rank(c: Candidate, order: Mapping[str, int]) -> tuple[float, float, int, int]:
    penalty = REALISM_WEIGHT * (1.0 - c.realism) if c.realism is not None else 0.0
    distance = round(c.distance + penalty, DISTANCE_DECIMALS) if c.distance is not None else float("inf")
    return (distance, -c.quality, order.get(c.look, len(order)), c.index)


def select(
    candidates: Sequence[Candidate], counts: Mapping[str, int], threshold: float, top_k: int | None = None
) -> Selection:
    """The delivered list (best first) and each look's shortfall. `counts` is in look order."""
    order = {look: i for i, look in enumerate(counts)}
    unknown = sorted({c.look for c in candidates} - set(counts))
    if unknown:
        raise ValueError(f"candidates of unknown looks: {', '.join(unknown)}")
    ranked = sorted((c for c in candidates if passes(c, threshold)), key=lambda c: _rank(c, order))
    passing = {look: sum(1 for c in ranked if c.look == look) for look in counts}
    per_look = [c for look in counts for c in [c for c in ranked if c.look == look][: counts[look]]]
    delivered = sorted(per_look, key=lambda c: _rank(c, order))
    total = sum(counts.values())
    wanted = min(top_k, total) if top_k is not None else total
    delivered = delivered[:wanted]
    full = len(delivered) >= wanted
    needed = {look: 0 if full else max(0, counts[look] - passing[look]) for look in counts}
    return Selection(delivered, passing, needed, wanted, threshold)


def first_round(counts: Mapping[str, int], look_seeds: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """(look, index, seed) of every candidate of the first round."""
    return [(look, i, candidate_seed(look_seeds[look], i)) for look, n in counts.items() for i in range(n)]


def plan_round(
    selection: Selection, candidates: Sequence[Candidate], look_seeds: Mapping[str, int]
) -> list[tuple[str, int, int]]:
    """(look, index, seed) of the next retry round: `needed` new candidates per look, numbered
    after that look's last candidate so no seed repeats. Empty when nothing is needed."""
    plan = []
    for look, n in selection.needed.items():
        start = max((c.index for c in candidates if c.look == look), default=-1) + 1
        plan += [(look, i, candidate_seed(look_seeds[look], i)) for i in range(start, start + n)]
    return plan


def shortfall(selection: Selection, require: int | None = None) -> tuple[list[str], str | None]:
    """(warnings, error) after the last round: a warning when fewer than wanted passed, an error
    message when fewer than `require` did."""
    got = len(selection.delivered)
    warnings = []
    if selection.missing:
        short = ", ".join(
            f"{look} {n}" for look, n in selection.passing.items() if selection.needed.get(look, 0) or n == 0
        )
        warnings.append(
            f"only {got} of {selection.wanted} images passed the identity threshold "
            f"{selection.threshold:g} after all retries" + (f" (passing per look: {short})" if short else "")
        )
    error = None
    if require is not None and got < require:
        error = (
            f"selection.require asks for {require} images within the identity threshold; only {got} passed"
        )
    return warnings, error
