"""Winnowed fingerprints of Python source, normalised so that renaming hides nothing.

The normalisation and the winnowing are copydetect's (``copydetect.utils.filter_code`` and
``copydetect.utils.winnow``, Schleimer, Wilkerson and Aiken's robust winnowing): comments and
whitespace go, every variable, attribute and function name becomes one letter (``V``, ``F``),
strings become ``S``; keywords, operators, numbers and builtins stay. So ``err = a - b`` and
``gap = p - q`` read alike, and ``np.mean`` reads like ``np.sum`` (the price of being blind to
renaming; :mod:`.code_similarity` weighs short matches little for that reason).

A *k-gram* is ``K`` consecutive characters of the normalised text. Its hash here is our own
polynomial hash (copydetect hashes with Python's ``hash``, which changes from one process to
the next; a report must not), reduced to 52 bits so that copydetect's winnowing, which keeps
its window in floating point, compares them exactly. Winnowing keeps the smallest hash of
every ``WINDOW`` consecutive k-grams: any match of ``K + WINDOW - 1`` characters or more
shares at least one fingerprint, and no match shorter than ``K`` can.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

K = 25  # copydetect's default noise threshold, in normalised characters
MAX_CODE_CHARS = 200_000  # of a submission's code, fingerprinted (a solution is a few thousand)
WINDOW = 8  # guarantee threshold K + WINDOW - 1 = 32 characters
_BASE = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MASK = np.uint64((1 << 52) - 1)
TOP_LEVEL = re.compile(r"^(?:async[ \t]+def|def|class)\b", re.MULTILINE)


@dataclass(frozen=True)
class Fingerprints:
    """One document's winnowed fingerprints, in order, with those of the given code marked.

    ``hashes[i]`` is the fingerprint of the k-gram starting at ``positions[i]`` of the
    normalised text (int64 arrays of the same length, positions increasing; a hash may
    repeat); ``given[i]`` is True when that k-gram is also in the given code (boilerplate:
    never evidence). ``units[i]`` numbers the top-level unit that k-gram starts in: unit
    ``u`` begins at raw offset ``unit_starts[u]`` (unit 0 at the top of the file, then one at
    each ``def`` or ``class`` at the left margin), so that matches are counted per function.
    ``straddles[i]`` is True when that k-gram runs from one unit into the next: it only says
    which function follows which, so it is not compared either (reordering functions hides
    nothing). ``offsets`` is copydetect's map from
    normalised to raw positions (rows ``[normalised index, characters removed before it]``),
    used by :func:`raw_position`.
    """

    hashes: np.ndarray
    positions: np.ndarray
    given: np.ndarray
    units: np.ndarray
    straddles: np.ndarray
    unit_starts: tuple[int, ...]
    normalised_length: int
    offsets: np.ndarray

    @property
    def own(self) -> np.ndarray:
        """The fingerprints that can be evidence: neither given nor straddling two units."""
        return ~(self.given | self.straddles)


def normalise(code: str) -> tuple[str, np.ndarray]:
    """copydetect's normalised text of Python ``code`` and its offsets map."""
    from copydetect.utils import filter_code

    text, offsets = filter_code(code, "submission.py", language="python")
    return text, np.asarray(offsets, dtype=np.int64).reshape(-1, 2)


def kgram_hashes(text: str, k: int = K) -> np.ndarray:
    """The 52-bit hash of every k-gram of ``text``, in order (int64; empty if ``text`` is short)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = codes.size - k + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    value = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):  # k vector steps, wrapping modulo 2**64 as intended
            value = value * _BASE + codes[j : j + count]
        value ^= value >> np.uint64(29)
        value *= _MIX
        value ^= value >> np.uint64(32)
    return (value & _MASK).astype(np.int64)


def boilerplate_hashes(codes: Iterable[str]) -> np.ndarray:
    """Every k-gram hash of the given code (not only winnowed ones), sorted and unique.

    All of them, so that any fingerprint a student's code shares with the given code is
    recognised, wherever the winnowing window fell.
    """
    found = [kgram_hashes(normalise(code)[0]) for code in codes]
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(found))


def fingerprint(code: str, boilerplate: np.ndarray) -> Fingerprints:
    """The winnowed fingerprints of ``code`` (its first ``MAX_CODE_CHARS`` characters), those
    in ``boilerplate`` (sorted) marked given."""
    from copydetect.utils import winnow

    code = code[:MAX_CODE_CHARS]  # lexing is slow; a flood of code must not stall the report
    text, offsets = normalise(code)
    hashes = kgram_hashes(text)
    unit_starts = (0, *(m.start() for m in TOP_LEVEL.finditer(code)))
    if hashes.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        nothing = np.zeros(0, dtype=bool)
        return Fingerprints(empty, empty, nothing, empty, nothing, unit_starts, len(text), offsets)
    _, selected = winnow(hashes, WINDOW, remove_duplicates=False)
    selected = np.unique(np.asarray(selected, dtype=np.int64))
    chosen = hashes[selected]
    given = np.isin(chosen, boilerplate)
    starts = np.array(unit_starts, dtype=np.int64)
    units = np.searchsorted(starts, raw_positions(offsets, selected), side="right") - 1
    last = np.searchsorted(starts, raw_positions(offsets, selected + K - 1), side="right") - 1
    return Fingerprints(
        chosen,
        selected,
        given,
        units.astype(np.int64),
        last != units,
        unit_starts,
        len(text),
        offsets,
    )


def raw_positions(offsets: np.ndarray, normalised: np.ndarray) -> np.ndarray:
    """The raw character offsets of normalised positions (copydetect's own mapping)."""
    normalised = np.asarray(normalised, dtype=np.int64)
    if offsets.shape[0] == 0:
        return normalised
    rows = np.clip(np.searchsorted(offsets[:, 0], normalised), 0, offsets.shape[0] - 1)
    return normalised + offsets[rows, 1]
