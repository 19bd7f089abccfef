"""Did-you-mean suggestions from the names that exist, by edit distance.

The distance is the optimal string alignment distance (insertions, deletions,
substitutions and swaps of two neighbouring characters each cost 1) of the case-folded
names, computed by [rapidfuzz](https://rapidfuzz.github.io/RapidFuzz/) (C++,
bit-parallel) over every candidate: `process.extract` with a score cutoff. No candidate is
left out beforehand, so a typo at both ends of a name is found in any fleet.

rapidfuzz is imported on the first suggestion only: a run without findings (the usual
pre-commit run) does not load it.

What a user sees (unchanged from the hand-written distance this replaces):

- a candidate at most `max_distance(name)` edits away is suggested: 1 edit for names of
  up to 5 characters, then a third of the name's length (rounded down);
- case is ignored, and a candidate that differs only in case ranks first;
- the name itself is never a suggestion;
- closest first, ties by name: the same candidates give the same suggestions;
- names longer than `MAX_NAME` get none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

# Names longer than this get no suggestion (nobody mistypes a 10,000-character name, and
# the distance grows with the product of the lengths).
MAX_NAME = 128


def max_distance(name: str) -> int:
    """How far off a suggestion may be: 1 for short names, about a third of longer ones."""
    return max(1, len(name) // 3)


def _osa() -> Callable[..., int]:
    from rapidfuzz.distance import OSA

    return OSA.distance


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance between `a` and `b` (case-sensitive)."""
    return _osa()(a, b)


class Pool:
    """Candidate names prepared once for many suggestions: unique, in name order, with
    their case-folded forms (the strings rapidfuzz compares)."""

    __slots__ = ("folded", "names")

    def __init__(self, names: Iterable[str]) -> None:
        self.names: list[str] = sorted({n for n in names if len(n) <= MAX_NAME})
        self.folded: list[str] = [n.casefold() for n in self.names]

    def __len__(self) -> int:
        return len(self.names)


def pool_of(candidates: Iterable[str] | Pool) -> Pool:
    """`candidates` as a `Pool`. Preparing one is linear in the number of names: a caller
    that asks for many suggestions from the same names builds the `Pool` once."""
    return candidates if isinstance(candidates, Pool) else Pool(candidates)


def did_you_mean(name: str, candidates: Iterable[str] | Pool, limit: int = 1) -> list[str]:
    """Up to `limit` candidates close to `name`, closest first (ties by name).

    A candidate equal to `name` is skipped (it's not a suggestion). One that differs
    only in case ranks first. Deterministic for the same set of candidates.
    """
    if limit <= 0 or len(name) > MAX_NAME:
        return []
    pool = pool_of(candidates)
    if not pool.names:
        return []
    from rapidfuzz import process

    # one more than asked: `name` itself may be among the closest (distance 0)
    hits = process.extract(
        name.casefold(),
        pool.folded,
        scorer=_osa(),
        score_cutoff=max_distance(name),
        limit=limit + 1,
    )
    # rapidfuzz orders by distance, then by position in the (name-sorted) pool
    out = [pool.names[i] for _, _, i in hits if pool.names[i] != name]
    return out[:limit]


def suggestion_text(suggestions: Sequence[str], kind: str = "") -> str | None:
    """``did you mean the tag "backup"?`` / ``did you mean one of "a" or "b"?``, or None."""
    if not suggestions:
        return None
    quoted = [f'"{s}"' for s in suggestions]
    noun = f"the {kind} " if kind else ""
    if len(quoted) == 1:
        return f"did you mean {noun}{quoted[0]}?"
    listed = ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"did you mean one of {listed}?"
