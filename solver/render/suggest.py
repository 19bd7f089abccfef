"""Did-you-mean suggestions from the names that exist, by edit distance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and
    swaps of two neighbouring characters each cost 1."""
    return _bounded(a, b, max(len(a), len(b)))


def _bounded(a: str, b: str, k: int) -> int:
    """`distance(a, b)` when it is at most `k`, else some value above `k` (stops early)."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > k:
        return k + 1
    if not a or not b:
        return len(a) or len(b)
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, prev2[j - 2] + 1)
            cur[j] = best
        # every later cell comes from these two rows (+0 at most on the diagonal)
        if min(cur) > k and min(prev) > k:
            return k + 1
        prev2, prev = prev, cur
    return prev[-1]


# Names longer than this get no suggestion: the edit distance is quadratic in the length,
# and a 10,000-character name would take minutes (nobody mistypes a name that long).
MAX_NAME = 128


def max_distance(name: str) -> int:
    """How far off a suggestion may be: 1 for short names, about a third of longer ones."""
    return max(1, len(name) // 3)


# Pools larger than this are narrowed through an index (built once per pool) to the names
# that share their first or last three characters with the unknown name: a fleet of 100,000
# machines would otherwise cost ~0.1 s per suggestion. A typo at both ends of a name in
# such a fleet gets no suggestion.
BIG_POOL = 5000
_INDEX: dict[int, tuple[object, dict[str, set[str]]]] = {}


def _narrow(folded: str, candidates: Iterable[str]) -> set[str]:
    pool = candidates if isinstance(candidates, (set, frozenset, dict)) else set(candidates)
    if len(pool) <= BIG_POOL:
        return set(pool)
    hit = _INDEX.get(id(pool))
    if hit is None or hit[0] is not pool:
        index: dict[str, set[str]] = {}
        for cand in pool:
            cf = cand.casefold()
            index.setdefault("<" + cf[:3], set()).add(cand)
            index.setdefault(">" + cf[-3:], set()).add(cand)
        hit = _INDEX[id(pool)] = (pool, index)
    idx = hit[1]
    return idx.get("<" + folded[:3], set()) | idx.get(">" + folded[-3:], set())


def did_you_mean(name: str, candidates: Iterable[str], limit: int = 1) -> list[str]:
    """Up to `limit` candidates close to `name`, closest first (ties by name).

    A candidate equal to `name` is skipped (it's not a suggestion). One that differs
    only in case ranks first. Deterministic for the same set of candidates.
    """
    if limit <= 0 or len(name) > MAX_NAME:
        return []
    folded = name.casefold()
    cutoff = max_distance(name)
    drop = str.maketrans("", "", folded)
    scored: list[tuple[int, int, str]] = []
    bound = cutoff  # with limit 1, nothing farther than the best so far can win
    for cand in _narrow(folded, candidates):
        if cand == name or len(cand) > MAX_NAME:
            continue
        cf = cand.casefold()
        if cf == folded:
            scored.append((0, 0, cand))
            continue
        # cheap lower bounds first: the length difference, and the characters of the
        # candidate that `name` lacks (each occurrence needs its own edit)
        if abs(len(cf) - len(folded)) > bound:
            continue
        if len(cf.translate(drop)) > bound:  # characters `name` does not have at all
            continue
        dist = _bounded(folded, cf, bound)
        if dist <= bound:
            scored.append((1, dist, cand))
            if limit == 1:
                bound = min(bound, dist)
    scored.sort()
    return [cand for _, _, cand in scored[:limit]]


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
