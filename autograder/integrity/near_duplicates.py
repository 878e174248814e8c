"""Candidate pairs of near-identical documents, in time linear in the class (MinHash banding).

A pair of submissions made only of code that many students write (each function in one of a
handful of usual ways) shares no rare fingerprint, so the fingerprint index never proposes it,
even when the two are the same file renamed. What is rare there is the *combination*. MinHash
(Broder 1997) summarises each document's set of fingerprints in ``BANDS * ROWS`` numbers such
that two documents agree on each number with probability equal to the Jaccard similarity of
their sets; a pair is a candidate when it agrees on all ``ROWS`` numbers of at least one band.
With 8 bands of 5 rows, a pair whose sets are 90 % alike is proposed with probability above
0.999, 80 % alike 0.96, 50 % alike 0.22, 30 % alike 0.02. Bucketing is one dictionary pass per
band.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

BANDS = 8
ROWS = 5
_SEED = 20261202  # fixed: the same class gives the same candidates on every run


def _multipliers() -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(_SEED)
    count = BANDS * ROWS
    odd = generator.integers(1, 2**62, size=count, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    shift = generator.integers(0, 2**62, size=count, dtype=np.uint64)
    return odd, shift


_ODD, _SHIFT = _multipliers()


def signature(fingerprints: np.ndarray) -> np.ndarray | None:
    """The MinHash signature (``BANDS * ROWS`` uint64) of a set of fingerprints; None if empty."""
    if fingerprints.size == 0:
        return None
    values = fingerprints.astype(np.uint64)[:, None]
    with np.errstate(over="ignore"):
        mixed = (values ^ _SHIFT[None, :]) * _ODD[None, :]  # wraps modulo 2**64, as intended
        mixed ^= mixed >> np.uint64(31)
    return mixed.min(axis=0)


def candidate_pairs(sets: Mapping[int, np.ndarray], bucket_limit: int) -> set[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of documents whose fingerprint sets are likely near-identical.

    ``sets`` maps a document's index to its fingerprints. A bucket holding more than
    ``bucket_limit`` documents is a solution many students wrote alike; its pairs are not
    proposed (comparing them is the quadratic work this avoids, and they are not evidence).
    """
    signatures = {i: s for i, s in ((i, signature(v)) for i, v in sets.items()) if s is not None}
    pairs: set[tuple[int, int]] = set()
    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = {}
        for index, values in signatures.items():
            key = values[band * ROWS : (band + 1) * ROWS].tobytes()
            buckets.setdefault(key, []).append(index)
        for members in buckets.values():
            if 2 <= len(members) <= bucket_limit:
                pairs.update(itertools.combinations(sorted(members), 2))
    return pairs
