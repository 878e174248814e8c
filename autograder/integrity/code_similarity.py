"""Pairs of submissions whose code matches, found through an index of fingerprints.

Each document's fingerprints (:mod:`.fingerprints`) go into one index, fingerprint ->
documents, except those of the given code (never evidence). Two things follow from how many
documents ``df`` hold a fingerprint among the ``N`` compared:

* its *rarity* ``log((N + 1) / df) / log(N + 1)``: 1 for a fragment only one student wrote,
  near 0 for one nearly everybody wrote (``return np.mean((x - y) ** 2)``). Matching
  code weighs by its rarity, so what many students write alike counts for little;
* which pairs are compared at all: those sharing at least ``MIN_SHARED`` fingerprints held
  by at most :func:`common_limit` documents, and those whose whole sets of fingerprints are
  near-identical (:mod:`.near_duplicates`, for copies made only of common code). So the cost
  grows with the number of fingerprints, not with the number of pairs.

A compared pair is measured by *stretches*: maximal runs of consecutive fingerprints of one
document that are all in the other's and start in the same top-level function (so two one-line
functions one after the other stay two short stretches). A stretch over the normalised
characters ``[s, e)`` weighs ``max(0, e - s - SHORT)`` times its fingerprints' mean rarity:
a one-line function written alike weighs little or nothing, a whole function copied about its
length. A document's *share* is the weight of its matched stretches over the weight of all its
stretches of non-given code, measured the same way: 1.0 means all of that student's own code,
rare parts and common parts alike, is also in the other's.

Rarity cannot see a copy made only of common pieces: each piece is common, their combination
is not. So a pair is also *near-identical* when its plain shares (every fingerprint weighing
1) are both at least ``NEAR_IDENTICAL``, each side has at least ``NEAR_MIN_SIZE`` characters
of its own code, and neither is near-identical to more than :func:`common_limit` submissions
(a whole solution many wrote alike is a common solution, not evidence).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from autograder.integrity.fingerprints import Fingerprints, K
from autograder.integrity.near_duplicates import candidate_pairs

SHORT = 40  # normalised characters a stretch must exceed before it weighs anything
MIN_SHARED = 2  # shared uncommon fingerprints for a pair to be compared in full
COMMON_FRACTION = 0.01  # of the class: a fingerprint in more documents than this is common...
COMMON_MIN = 3  # ... but one in this many documents or fewer never is
NEAR_IDENTICAL = 0.9  # plain share, both sides
NEAR_MIN_SIZE = 100.0  # normalised characters of own code beyond the short allowance, each side


@dataclass(frozen=True)
class CodeMatch:
    """Two documents (by index, ``a < b``) and how much of their code they share.

    ``share_a`` is the weighted share of ``a``'s own (non-given) code found in ``b``, 0 to 1;
    ``weight_a`` the weight of those matched stretches (normalised characters beyond the
    short-match allowance, times rarity: the characters of code no one else wrote that they
    are worth); ``units_a`` the top-level units of ``a`` (see
    :class:`~.fingerprints.Fingerprints`) whose matched stretches weigh something, with that
    weight, heaviest first.
    """

    a: int
    b: int
    share_a: float
    share_b: float
    weight_a: float
    weight_b: float
    units_a: tuple[tuple[int, float], ...]
    units_b: tuple[tuple[int, float], ...]
    plain_a: float = 0.0  # the share with every fingerprint weighing 1
    plain_b: float = 0.0
    near_identical: bool = False

    @property
    def share(self) -> float:
        """The larger of the two shares (one student may have copied a part of a longer file)."""
        return max(self.share_a, self.share_b)

    @property
    def weight(self) -> float:
        """The smaller of the two matched weights: how much code the match is about."""
        return min(self.weight_a, self.weight_b)


@dataclass(frozen=True)
class CodeIndexSummary:
    """What the index held and left out, for the report's "what was excluded"."""

    documents: int
    fingerprints: int  # distinct fingerprints outside the given code
    given: int  # fingerprints of students' code dropped because the given code has them
    common: int  # distinct fingerprints in more than ``common_limit`` documents
    common_limit: int
    compared_pairs: int  # pairs compared in full
    empty: int  # documents with no code of their own (an untouched stub, an empty file)
    near_identical_limit: int = 0  # near-identical to more documents than this: common


def common_limit(documents: int) -> int:
    """The most documents a fingerprint may be in and still make a pair worth comparing."""
    return max(COMMON_MIN, math.floor(COMMON_FRACTION * documents))


def runs(document: Fingerprints, selected: np.ndarray) -> np.ndarray:
    """Rows ``[unit, first, last]``: maximal runs of ``selected`` fingerprints in one unit.

    ``selected`` is a boolean mask over the document's fingerprints; ``first`` and ``last``
    index the run's first and last fingerprint.
    """
    if not selected.any():
        return np.zeros((0, 3), dtype=np.int64)
    same_unit = np.concatenate(([False], document.units[1:] == document.units[:-1]))
    continues = selected & np.concatenate(([False], selected[:-1])) & same_unit
    first = np.flatnonzero(selected & ~continues)
    # a run ends where the next fingerprint does not continue it
    ends_here = selected & ~np.concatenate((continues[1:], [False]))
    last = np.flatnonzero(ends_here)
    return np.stack([document.units[first], first, last], axis=1).astype(np.int64)


def weights_of(document: Fingerprints, stretches: np.ndarray, rarity: np.ndarray) -> np.ndarray:
    """Each stretch's weight: its length beyond ``SHORT``, times its fingerprints' mean rarity."""
    if stretches.shape[0] == 0:
        return np.zeros(0)
    positions = document.positions
    start = positions[stretches[:, 1]]
    stop = np.minimum(positions[stretches[:, 2]] + K, document.normalised_length)
    cumulative = np.concatenate(([0.0], np.cumsum(rarity)))
    mean = (cumulative[stretches[:, 2] + 1] - cumulative[stretches[:, 1]]) / (
        stretches[:, 2] - stretches[:, 1] + 1
    )
    return np.maximum(stop - start - SHORT, 0) * mean


def code_matches(
    documents: Sequence[Fingerprints | None], min_share: float
) -> tuple[list[CodeMatch], CodeIndexSummary]:
    """Pairs whose share (the larger side) is at least ``min_share``, and what was indexed.

    ``documents[i]`` is ``None`` for a submission that could not be read (never matched).
    """
    present = [i for i, d in enumerate(documents) if d is not None]
    count = len(present)
    limit = common_limit(count)
    unique = {i: np.unique(documents[i].hashes[documents[i].own]) for i in present}  # type: ignore[union-attr]
    every = np.concatenate([unique[i] for i in present]) if present else np.zeros(0, np.int64)
    values, holders_count = np.unique(every, return_counts=True)
    rarity_of = np.log((count + 1) / holders_count) / math.log(count + 1) if count else values

    postings: dict[int, list[int]] = {}
    uncommon = set(values[(holders_count >= 2) & (holders_count <= limit)].tolist())
    for index in present:
        for value in unique[index].tolist():
            if value in uncommon:
                postings.setdefault(value, []).append(index)
    shared: Counter[tuple[int, int]] = Counter()
    for holders in postings.values():
        shared.update(itertools.combinations(holders, 2))

    rarity: dict[int, np.ndarray] = {}
    own: dict[int, tuple[float, float]] = {}
    for index in present:
        document = documents[index]
        assert document is not None
        where = np.clip(np.searchsorted(values, document.hashes), 0, max(values.size - 1, 0))
        rarity[index] = np.where(document.own, rarity_of[where] if values.size else 0.0, 0.0)
        stretches = runs(document, document.own)
        own[index] = (
            float(weights_of(document, stretches, rarity[index]).sum()),
            float(weights_of(document, stretches, document.own.astype(float)).sum()),
        )

    candidates = {pair for pair, n in shared.items() if n >= MIN_SHARED}
    candidates |= candidate_pairs(unique, limit)
    compared = [
        match
        for a, b in sorted(candidates)
        if (match := _compare(a, b, documents[a], documents[b], unique, rarity, own)) is not None  # type: ignore[arg-type]
    ]
    alike: Counter[int] = Counter()
    for match in compared:
        if min(match.plain_a, match.plain_b) >= NEAR_IDENTICAL:
            alike.update((match.a, match.b))
    matches = []
    for match in compared:
        near = (
            min(match.plain_a, match.plain_b) >= NEAR_IDENTICAL
            and min(own[match.a][1], own[match.b][1]) >= NEAR_MIN_SIZE
            and max(alike[match.a], alike[match.b]) <= limit
        )
        if near:
            match = replace(match, near_identical=True)
        if near or match.share >= min_share:
            matches.append(match)
    summary = CodeIndexSummary(
        documents=count,
        fingerprints=int(values.size),
        given=sum(int(documents[i].given.sum()) for i in present),  # type: ignore[union-attr]
        common=int((holders_count > limit).sum()),
        common_limit=limit,
        compared_pairs=len(candidates),
        empty=sum(1 for i in present if own[i][1] == 0.0),
        near_identical_limit=limit,
    )
    return matches, summary


def _compare(
    a: int,
    b: int,
    document_a: Fingerprints,
    document_b: Fingerprints,
    unique: dict[int, np.ndarray],
    rarity: dict[int, np.ndarray],
    own: dict[int, tuple[float, float]],
) -> CodeMatch | None:
    both = np.intersect1d(unique[a], unique[b], assume_unique=True)
    sides = []
    for index, document in ((a, document_a), (b, document_b)):
        stretches = runs(document, document.own & np.isin(document.hashes, both))
        weights = weights_of(document, stretches, rarity[index])
        plain_weights = weights_of(document, stretches, document.own.astype(float))
        plain = float(plain_weights.sum())
        total, total_plain = own[index]
        sides.append(
            (
                float(weights.sum()),
                _units(stretches, weights, plain_weights),
                min(1.0, float(weights.sum()) / total) if total else 0.0,
                min(1.0, plain / total_plain) if total_plain else 0.0,
            )
        )
    (weight_a, units_a, share_a, plain_a), (weight_b, units_b, share_b, plain_b) = sides
    if plain_a == 0.0 or plain_b == 0.0:
        return None
    return CodeMatch(a, b, share_a, share_b, weight_a, weight_b, units_a, units_b, plain_a, plain_b)


def _units(
    stretches: np.ndarray, weights: np.ndarray, plain: np.ndarray
) -> tuple[tuple[int, float], ...]:
    """The units holding stretches longer than the short allowance, by their weight."""
    total: Counter[int] = Counter()
    for unit, weight, length in zip(
        stretches[:, 0].tolist(), weights.tolist(), plain.tolist(), strict=True
    ):
        if length > 0:
            total[unit] += weight
    return tuple(total.most_common())
